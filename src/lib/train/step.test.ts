import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset, type Config } from '../config';
import { amdimLoss, disposeLossCache } from '../model/loss';
import { Rng } from '../rng';
import { createTrainer, disposeStepOutput, STEP_KEYS, type StepOutput, type Trainer } from './step';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY = preset('tiny'); // ndf 8, nRkhs 32, nDepth 1, batch 4, 32 px

/** Two fixed, augmentation-free views of the same B images: the images plus small independent noise. */
function fixedViews(seed: number, B = 4, S = 32): { xa: tf.Tensor4D; xb: tf.Tensor4D; labels: tf.Tensor1D } {
  const rng = new Rng(seed);
  const base = Float32Array.from({ length: B * S * S * 3 }, () => rng.next());
  const noisy = () => Float32Array.from(base, (v) => Math.min(1, Math.max(0, v + 0.02 * rng.normal())));
  return {
    xa: tf.tensor4d(noisy(), [B, S, S, 3]),
    xb: tf.tensor4d(noisy(), [B, S, S, 3]),
    labels: tf.tensor1d(Array.from({ length: B }, (_, i) => (i === B - 1 ? -1 : i % 3)), 'int32'),
  };
}

async function read(out: StepOutput): Promise<Record<string, number>> {
  const r: Record<string, number> = {};
  for (const k of STEP_KEYS) r[k] = (await out[k].data())[0];
  disposeStepOutput(out);
  return r;
}

async function weights(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
}

function sameArrays(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, k) => x.length === b[k].length && x.every((v, i) => v === b[k][i]));
}

describe('createTrainer (AMDIM)', () => {
  it('is deterministic: the same seed gives the same weights and losses', async () => {
    const v = fixedViews(1);
    const runs: { losses: Record<string, number>[]; w: Float32Array[] }[] = [];
    for (let r = 0; r < 2; r++) {
      const tr = createTrainer(TINY, 3, new Rng(7));
      const losses = [await read(tr.step(v.xa, v.xb, v.labels)), await read(tr.step(v.xa, v.xb, v.labels))];
      runs.push({ losses, w: await weights([...tr.encoder.trainable, ...tr.encoder.nonTrainable, ...tr.probe.trainable]) });
      tr.dispose();
    }
    expect(runs[0].losses).toEqual(runs[1].losses);
    expect(sameArrays(runs[0].w, runs[1].w)).toBe(true);
    for (const r of runs[0].losses) for (const k of STEP_KEYS) expect(Number.isFinite(r[k]), k).toBe(true);
    tf.dispose(Object.values(v));
  });

  it('sends gradient to every encoder variable, and none from the probe', async () => {
    const v = fixedViews(2);
    const tr = createTrainer(TINY, 3, new Rng(8));
    const noProbe = createTrainer(TINY, 3, new Rng(8));
    // The zero-initialised 1×1 convs block the gradient to the convs before them on step 1; after two
    // updates every variable must be on the gradient path.
    for (let s = 0; s < 2; s++) {
      disposeStepOutput(tr.step(v.xa, v.xb, v.labels));
      disposeStepOutput(noProbe.step(v.xa, v.xb, null));
    }
    const { value, grads } = tf.variableGrads(() => {
      const fa = tr.encoder.forward(v.xa, true).features;
      const fb = tr.encoder.forward(v.xb, true).features;
      return amdimLoss(fa, fb, { seed: 3 }).total;
    }, tr.encoder.trainable);
    const names = Object.keys(tr.encoder.namedWeights()).filter((n) => !n.includes('running'));
    expect(names.length).toBe(tr.encoder.trainable.length);
    for (let k = 0; k < names.length; k++) {
      const g = grads[tr.encoder.trainable[k].name];
      expect(g, names[k]).toBeDefined();
      expect((await tf.norm(g).data())[0], names[k]).toBeGreaterThan(0);
    }
    // Training the probe must not change the encoder: same seed, with and without labels.
    expect(sameArrays(await weights(tr.encoder.trainable), await weights(noProbe.encoder.trainable))).toBe(true);
    expect(sameArrays(await weights(tr.probe.trainable), await weights(noProbe.probe.trainable))).toBe(false);
    tf.dispose([value, ...Object.values(grads), ...Object.values(v)]);
    tr.dispose();
    noProbe.dispose();
  });

  it('encodes r1 in eval mode and checks its inputs', async () => {
    const v = fixedViews(3);
    const tr = createTrainer(TINY, 3, new Rng(9));
    disposeStepOutput(tr.step(v.xa, v.xb, v.labels));
    const z = tr.encode(v.xa);
    expect(z.shape).toEqual([4, 32]);
    const ref = tf.tidy(() => tf.reshape(tr.encoder.forward(v.xa, false).features.r1, [4, 32]));
    expect(Array.from(await z.data())).toEqual(Array.from(await ref.data()));
    const small = tf.zeros([4, 16, 16, 3]) as tf.Tensor4D;
    expect(() => tr.step(v.xa, small, null)).toThrow(/two views differ/);
    expect(() => tr.step(v.xa, v.xb, tf.tensor1d([1, 2], 'int32'))).toThrow(/2 labels for 4 images/);
    tf.dispose([z, ref, small, ...Object.values(v)]);
    tr.dispose();
  });

  describe('40 tiny steps on two fixed views', () => {
    let totals: number[] = [];
    let probeLosses: number[] = [];
    const tensorsAt: Record<number, number> = {};
    let trainer: Trainer;
    let before = 0;

    beforeAll(async () => {
      disposeLossCache();
      before = tf.memory().numTensors;
      const v = fixedViews(4);
      trainer = createTrainer(TINY, 3, new Rng(10));
      for (let s = 1; s <= 40; s++) {
        const r = await read(trainer.step(v.xa, v.xb, v.labels));
        totals.push(r.total);
        probeLosses.push(r.probeLoss);
        tensorsAt[s] = tf.memory().numTensors;
      }
      tf.dispose(Object.values(v));
    }, 240_000); // 40 steps of two encoder calls each: slow on a loaded CPU

    it('leaks no tensors (same count after step 5, 25 and 40; none left after dispose)', () => {
      expect(tensorsAt[25]).toBe(tensorsAt[5]);
      expect(tensorsAt[40]).toBe(tensorsAt[5]);
      trainer.dispose();
      disposeLossCache();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('lowers the AMDIM loss and the probe loss', () => {
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      expect(mean(totals.slice(-5))).toBeLessThan(mean(totals.slice(0, 5)) - 1);
      expect(mean(probeLosses.slice(-5))).toBeLessThan(mean(probeLosses.slice(0, 5)));
    });
  });
});

describe('createTrainer (Deep InfoMax)', () => {
  for (const dimEstimator of ['jsd', 'nce', 'dv'] as const) {
    it(`${dimEstimator}: trains on one view and reports the estimate in the 1→7 slot`, async () => {
      const cfg: Config = { ...TINY, method: 'dim', dimEstimator, dimMode: 'both' };
      const v = fixedViews(5);
      const tr = createTrainer(cfg, 3, new Rng(11));
      const rs = [];
      for (let s = 0; s < 3; s++) rs.push(await read(tr.step(v.xa, v.xa, v.labels)));
      const n = tf.memory().numTensors;
      rs.push(await read(tr.step(v.xa, v.xa, v.labels)));
      expect(tf.memory().numTensors).toBe(n);
      for (const r of rs) {
        for (const k of STEP_KEYS) expect(Number.isFinite(r[k]), k).toBe(true);
        expect(r.total).toBe(r.loss1t7);
        expect([r.nceEst1t5, r.nceEst5t5, r.bound1t5, r.bound5t5, r.loss1t5, r.loss5t5, r.reg]).toEqual([0, 0, 0, 0, 0, 0, 0]);
        expect(r.bound1t7).toBeLessThanOrEqual(Math.log(4) + 1e-6); // image-level bound, ceiling log B
      }
      if (dimEstimator === 'nce') expect(rs[0].nceEst1t7).toBeLessThanOrEqual(Math.log(1 + 3 * 49) + 1e-6);
      tf.dispose(Object.values(v));
      tr.dispose();
    });
  }
});

describe('createTrainer impl: fast vs baseline', () => {
  // Gradients are checked to 1e-4 op by op (fastconv.test.ts, lossFused.test.ts). Weights get a looser bound:
  // Adam's first updates are ±lr wherever a gradient is tiny, so a rounding-level sign flip moves a weight.
  it('takes the same three steps (losses to 1e-4, weights to 5e-4) from the same seed', async () => {
    const v = fixedViews(9);
    const runs: { losses: Record<string, number>[]; w: Float32Array[] }[] = [];
    for (const impl of ['baseline', 'fast'] as const) {
      const tr = createTrainer(TINY, 3, new Rng(21), { impl });
      const losses = [];
      for (let s = 0; s < 3; s++) losses.push(await read(tr.step(v.xa, v.xb, v.labels, [[0, 3, 7, 24], [1, 2, 3, 4]])));
      runs.push({ losses, w: await weights(tr.encoder.trainable) });
      tr.dispose();
    }
    for (let s = 0; s < 3; s++) for (const k of STEP_KEYS) expect(Math.abs(runs[0].losses[s][k] - runs[1].losses[s][k]), `${k} step ${s}`).toBeLessThan(1e-4);
    // rkhs.conv2.bias feeds the r1 BatchNorm directly, which subtracts it again: its true gradient is 0, so
    // each implementation's rounding noise (~1e-9) becomes Adam steps of ±lr. Its value changes nothing.
    const probe = createTrainer(TINY, 3, new Rng(21));
    const names = Object.entries(probe.encoder.namedWeights()).filter(([, v]) => v.trainable).map(([n]) => n);
    probe.dispose();
    expect(names.length).toBe(runs[0].w.length);
    runs[0].w.forEach((w, i) => {
      if (names[i] === 'rkhs.conv2.bias') return;
      let m = 0;
      for (let j = 0; j < w.length; j++) m = Math.max(m, Math.abs(w[j] - runs[1].w[i][j]));
      expect(m, `weight ${names[i]}`).toBeLessThan(5e-4);
    });
    tf.dispose(Object.values(v));
  });
});
