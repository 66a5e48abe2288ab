/**
 * The MI bounds lab (Poole et al. 2019, "On variational bounds of mutual information"): one critic per
 * estimator, each trained with its own bound as the objective on the same correlated-Gaussian batches,
 * while the true MI climbs a staircase. The batch size can change between steps, which is how the page
 * shows InfoNCE flattening at log K and NWJ/DV growing noisy as MI rises.
 */
import * as tf from '@tensorflow/tfjs';
import { rngFor, type Rng } from '../rng';
import { BOUNDS_T, ESTIMATORS, jsReadoutT, type Estimator } from './bounds';
import { Critic } from './critic';
import { rhoForMi, sampleCorrelated, staircaseLevel } from './gaussian';
import { LIMITS, labSettings, type LabPoint, type LabSettings } from './labSettings';

export { LAB_DEFAULTS, labSettings, type LabPoint, type LabSettings } from './labSettings';

export class BoundsLab {
  readonly settings: LabSettings;
  #critics: Record<Estimator, Critic>;
  #opts: Record<Estimator, tf.Optimizer>;
  #data: Rng;
  #step = 0;
  #batch: number;

  constructor(settings: LabSettings) {
    this.settings = labSettings(settings);
    this.#batch = settings.batchSize;
    this.#data = rngFor(settings.seed, 'bounds-lab-data');
    const spec = { kind: settings.critic, dim: settings.dim, hidden: settings.hidden, layers: settings.layers, embed: settings.embed };
    // Every estimator starts from the same weights, so differences in the curves come from the objective.
    this.#critics = Object.fromEntries(ESTIMATORS.map((e) => [e, new Critic(spec, rngFor(settings.seed, 'bounds-lab-critic'))])) as Record<Estimator, Critic>;
    this.#opts = Object.fromEntries(ESTIMATORS.map((e) => [e, tf.train.adam(settings.lr)])) as unknown as Record<Estimator, tf.Optimizer>;
  }

  get step(): number {
    return this.#step;
  }
  get totalSteps(): number {
    return this.settings.stepsPerLevel * this.settings.levels.length;
  }
  get done(): boolean {
    return this.#step >= this.totalSteps;
  }
  get batchSize(): number {
    return this.#batch;
  }
  /** Takes effect from the next step; shapes change, which the critics do not mind. */
  set batchSize(k: number) {
    if (!Number.isInteger(k) || k < LIMITS.batchSize[0] || k > LIMITS.batchSize[1])
      throw new RangeError(`bounds lab: batchSize must be an integer in [${LIMITS.batchSize.join(', ')}], got ${k}`);
    this.#batch = k;
  }

  /** Runs up to n steps and reads their values back in one transfer. */
  async run(n: number): Promise<LabPoint[]> {
    const meta: { step: number; trueMi: number; K: number }[] = [];
    const rows: tf.Tensor1D[] = [];
    for (let t = 0; t < n && !this.done; t++) {
      const trueMi = staircaseLevel(this.#step, this.settings.stepsPerLevel, this.settings.levels);
      const K = this.#batch;
      rows.push(this.#trainStep(trueMi, K));
      meta.push({ step: this.#step, trueMi, K });
      this.#step++;
    }
    if (rows.length === 0) return [];
    const all = tf.stack(rows); // (n, 5)
    const v = await all.data();
    all.dispose();
    for (const r of rows) r.dispose();
    return meta.map((m, i) => ({
      step: m.step,
      trueMi: m.trueMi,
      batchSize: m.K,
      logK: Math.log(m.K),
      infonce: v[i * 5],
      nwj: v[i * 5 + 1],
      dv: v[i * 5 + 2],
      js: v[i * 5 + 3],
      jsRaw: v[i * 5 + 4],
    }));
  }

  /** One Adam step for every critic on one shared batch; returns [infonce, nwj, dv, jsReadout, js] (5,). */
  #trainStep(trueMi: number, K: number): tf.Tensor1D {
    const d = this.settings.dim;
    const { x, y } = sampleCorrelated(this.#data, K, d, rhoForMi(trueMi, d));
    return tf.tidy(() => {
      const xt = tf.tensor2d(x, [K, d]); // (K, d)
      const yt = tf.tensor2d(y, [K, d]); // (K, d)
      const out: Partial<Record<Estimator | 'jsReadout', tf.Scalar>> = {};
      for (const e of ESTIMATORS) {
        const critic = this.#critics[e];
        this.#opts[e].minimize(
          () => {
            const S = critic.scores(xt, yt); // (K, K)
            const bound = BOUNDS_T[e](S);
            out[e] = tf.keep(bound.clone());
            if (e === 'js') out.jsReadout = tf.keep(jsReadoutT(S));
            return tf.neg(bound);
          },
          false,
          critic.vars,
        );
      }
      const vals = [out.infonce!, out.nwj!, out.dv!, out.jsReadout!, out.js!];
      const row = tf.stack(vals) as tf.Tensor1D; // (5,)
      for (const t of vals) t.dispose();
      return row;
    });
  }

  dispose(): void {
    for (const e of ESTIMATORS) {
      this.#critics[e].dispose();
      this.#opts[e].dispose();
    }
  }
}
