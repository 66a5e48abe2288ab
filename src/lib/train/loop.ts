/**
 * One training run: dataset → batches → GPU augmentation → AMDIM step, with metrics read back
 * asynchronously in batches (no GPU→CPU stall per step). Evaluation on the held-out split is in
 * heldout.ts, the checkpoint format in checkpoint.ts. Pure TypeScript: the worker's session, the Node CLI
 * and the tests all drive this.
 */
import { DecimatedHistory } from './history';
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { Rng, rngFor } from '../rng';
import { gather, imageBytes, isLabeled, type Dataset } from '../data/dataset';
import { batchSource, restoreBatchSource, type BatchSource } from '../data/stream';
import { augmentPairFromBytes, drawAugParams } from '../data/augment';
import { normalizeInput } from '../data/resample';
import { createTrainer, type Trainer } from './step';
import { MetricReadback } from './readback';
import { CHECKPOINT_VERSION, assignVariables, migrate, readVariables, stateVariables, type Checkpoint, type CheckpointMeta } from './checkpoint';
import { evaluateRun, nClassesOf, probeIndices, type Baseline } from './heldout';
import { migrateEval, migrateMetric } from './migrate';
import type { Ceilings, EmbeddingSnapshot, EvalPoint, MetricPoint } from './types';

export type { CheckpointMeta } from './checkpoint';
export { nClassesOf, probeIndices } from './heldout';

export interface RunHooks {
  onMetrics?: (points: MetricPoint[]) => void;
}

/**
 * Ceilings: log K of each pair's NCE estimate (K = 1 + (B−1)·t² candidates per softmax), and log B of the
 * image-level bound (the same for every pair).
 */
export function ceilings(batch: number): Ceilings {
  return { '1t5': Math.log(1 + (batch - 1) * 25), '1t7': Math.log(1 + (batch - 1) * 49), '5t5': Math.log(1 + (batch - 1) * 25), bound: Math.log(batch) };
}

export class TrainingRun {
  readonly cfg: Config;
  readonly data: Dataset;
  /** Encoder, linear probe head, their optimisers and the step. */
  readonly model: Trainer;
  /** Indices of the probe set: a fixed, seeded sample of the held-out split, evaluated every embedEvery steps. */
  readonly probeSet: Int32Array;
  /** False for a flat or one-class folder: the step skips the probe and evaluation gives no scores. */
  readonly labeled: boolean;
  step = 0;
  /** Seconds spent inside trainSteps (wall clock). */
  time = 0;
  /** The training batches: BatchSampler over memory, or the bounded-cache stream of a stored split (data/stream.ts). */
  #batches: BatchSource;
  #augRng: Rng;
  #negRng: Rng;
  #batchBytes: Uint8Array;
  #readback: MetricReadback;
  #baseline: Baseline | null = null;
  /** The curves so far (bounded: history.ts), so a checkpoint carries them and a resumed run continues them. */
  readonly #history = new DecimatedHistory<MetricPoint>();
  #poison = false;
  readonly #evalHistory = new DecimatedHistory<EvalPoint>();
  get history(): readonly MetricPoint[] {
    return this.#history.points;
  }
  get evalHistory(): readonly EvalPoint[] {
    return this.#evalHistory.points;
  }

  constructor(cfg: Config, data: Dataset, hooks: RunHooks = {}) {
    if (data.train.size !== cfg.imageSize)
      throw new Error(`dataset "${data.name}" has ${data.train.size}px images but config.imageSize is ${cfg.imageSize}`);
    if (data.train.count < cfg.batchSize)
      throw new Error(`dataset "${data.name}" has ${data.train.count} training images, fewer than config.batchSize ${cfg.batchSize}`);
    this.cfg = cfg;
    this.data = data;
    this.labeled = isLabeled(data);
    this.#readback = new MetricReadback(cfg.batchSize, (points) => {
      // No labels, no probe: its accuracy is not 0 but undefined (the loss stays 0, a true "nothing trained").
      if (!this.labeled) for (const p of points) p.probeAcc = p.probeMlpAcc = NaN;
      this.#history.pushAll(points);
      hooks.onMetrics?.(points);
    });
    this.model = createTrainer(cfg, nClassesOf(data), rngFor(cfg.seed, 'model'), { impl: cfg.impl, stepsPerEpoch: Math.floor(data.train.count / cfg.batchSize) });
    this.#batches = batchSource(data.train, cfg.batchSize, rngFor(cfg.seed, 'batches'));
    this.#augRng = rngFor(cfg.seed, 'augment');
    this.#negRng = rngFor(cfg.seed, 'src5');
    this.#batchBytes = new Uint8Array(cfg.batchSize * imageBytes(cfg.imageSize));
    this.probeSet = probeIndices(data, cfg.probeSize, cfg.seed);
  }

  lrAt(step: number): number {
    return this.cfg.lr * Math.min(1, (step + 1) / Math.max(1, this.cfg.warmup));
  }

  /** The training batches (tests and the bench read a stream's cache statistics). */
  get batches(): BatchSource {
    return this.#batches;
  }

  /** One training step; its metrics join the current read-back window. */
  async #oneStep(): Promise<void> {
    const { cfg, data } = this;
    const B = cfg.batchSize, S = cfg.imageSize;
    const next = this.#batches.next(this.#batchBytes);
    // In memory the batch is ready at once; a stream waits only when its read-ahead is late.
    const idx = next instanceof Promise ? await next : next;
    const params = drawAugParams(cfg, B, S, this.#augRng);
    const src5: [Int32Array, Int32Array] = [new Int32Array(B), new Int32Array(B)];
    for (let v = 0; v < 2; v++) for (let i = 0; i < B; i++) src5[v][i] = this.#negRng.int(25);
    let labels: tf.Tensor1D | null = null;
    if (this.labeled && data.train.labels) {
      const l = new Int32Array(B);
      for (let i = 0; i < B; i++) l[i] = data.train.labels[idx[i]];
      labels = tf.tensor1d(l, 'int32');
    }
    let [xa, xb] = augmentPairFromBytes(this.#batchBytes, B, S, params); // (B, S, S, 3) each
    // The official 64 px pipeline normalises with the STL-10 statistics (32 px inputs stay in [0, 1]).
    const na = normalizeInput(xa), nb = normalizeInput(xb);
    if (na !== xa) {
      tf.dispose([xa, xb]);
      [xa, xb] = [na, nb];
    }
    if (this.#poison) {
      // Test hook: a NaN input, as a numerical blow-up would produce; it reaches the loss and the weights.
      this.#poison = false;
      const bad = tf.tidy(() => xa.mul(NaN)) as tf.Tensor4D;
      xa.dispose();
      xa = bad;
    }
    const out = this.model.step(xa, xb, labels, src5) as unknown as Record<string, tf.Scalar>;
    xa.dispose();
    xb.dispose();
    labels?.dispose();
    this.#readback.add(this.step, this.lrAt(this.step), out);
    this.step++;
  }

  /**
   * Train `n` steps. Metrics are packed every `logEvery` steps and read back while later steps run; at
   * most two read-backs are in flight. `shouldStop` is checked between steps (pause, cancel).
   */
  async trainSteps(n: number, shouldStop: () => boolean = () => false, yieldEvery = 1): Promise<number> {
    let done = 0;
    let windowStart = performance.now();
    while (done < n && !shouldStop()) {
      const t = performance.now();
      if (!this.#readback.windowed) windowStart = t;
      await this.#oneStep();
      done++;
      this.time += (performance.now() - t) / 1000;
      if (this.#readback.windowed >= this.cfg.logEvery) this.#readback.flush(windowStart, this.time);
      await this.#readback.drain(2);
      if (done % yieldEvery === 0) await new Promise((r) => setTimeout(r, 0));
    }
    this.#readback.flush(windowStart, this.time);
    await this.#readback.drain(0);
    return done;
  }

  /** Reset the steps/s clock (after a pause, so idle time is not counted). */
  resetClock(): void {
    this.#readback.resetClock();
  }

  /** Held-out evaluation (heldout.ts): trained vs random encoder vs raw pixels; the baselines are computed once per run. */
  async evaluate(): Promise<{ point: EvalPoint; snapshot: EmbeddingSnapshot }> {
    const { point, snapshot, baseline } = await evaluateRun(this, this.#baseline);
    this.#baseline = baseline;
    this.#evalHistory.push(point); // replaces an evaluation of the same step
    return { point, snapshot };
  }

  /** Augmented pairs exactly as training makes them (same code path), from a separate preview stream. */
  async previewPairs(count: number, seed = this.cfg.seed, aug: Partial<Config> = {}): Promise<{ a: Float32Array; b: Float32Array }> {
    const S = this.cfg.imageSize;
    const pick = rngFor(seed, 'preview-images');
    // A streamed split previews its resident sample (the images in memory).
    const pool = this.data.train.resident;
    const idx = Int32Array.from({ length: count }, () => (pool ? pool[pick.int(pool.length)] : pick.int(this.data.train.count)));
    const bytes = gather(this.data.train, idx);
    const params = drawAugParams({ ...this.cfg, ...aug }, count, S, rngFor(seed, 'preview'));
    const [a, b] = augmentPairFromBytes(bytes, count, S, params);
    // Copies: on the CPU backend data() can hand back views into one shared buffer (the two views are
    // slices of one tensor), and a shared or backend-owned buffer cannot be transferred to the page.
    const out = { a: ((await a.data()) as Float32Array).slice(), b: ((await b.data()) as Float32Array).slice() };
    a.dispose();
    b.dispose();
    return out;
  }

  /** Test hook: make the next step's input NaN. */
  poisonNextStep(): void {
    this.#poison = true;
  }

  /**
   * A complete, plain-data copy of the run at the current step (call between steps, after trainSteps
   * returned, so no read-back is pending): tensors as Float32Arrays, plus the RNG, sampler and histories.
   */
  async checkpoint(): Promise<Checkpoint> {
    const tensors = await readVariables(stateVariables(this.model));
    const meta: CheckpointMeta = {
      version: CHECKPOINT_VERSION,
      config: { ...this.cfg },
      step: this.step,
      time: this.time,
      adamStep: this.model.optimizer.step,
      probeAdamStep: this.model.probeOptimizer.step,
      sampler: this.#batches.state,
      augRng: this.#augRng.state,
      negRng: this.#negRng.state,
      history: this.#history.toArray(),
      evalHistory: this.#evalHistory.toArray(),
      savedAt: Date.now(),
    };
    return { meta, tensors };
  }

  /** Put the run back exactly where `checkpoint()` was taken. Refuses a checkpoint of another model shape. */
  restore(meta: CheckpointMeta, tensors: Record<string, { shape: number[]; data: Float32Array | ArrayLike<number> }>): void {
    assignVariables(stateVariables(this.model), migrate(meta, tensors, this.model));
    this.model.optimizer.step = meta.adamStep;
    this.model.probeOptimizer.step = meta.probeAdamStep;
    // Deep InfoMax prior matching: the discriminator takes one update per encoder update.
    if (this.model.priorOptimizer) this.model.priorOptimizer.step = meta.adamStep;
    this.#batches.dispose();
    this.#batches = restoreBatchSource(meta.sampler, this.data.train);
    this.#augRng = new Rng(meta.augRng);
    this.#negRng = new Rng(meta.negRng);
    this.step = meta.step;
    this.time = meta.time;
    // Histories saved before issue 13 carry the old names (migrate.ts).
    this.#history.replace(meta.history.map((p) => migrateMetric(p as unknown as Record<string, unknown>)));
    this.#evalHistory.replace(meta.evalHistory.map((p) => migrateEval(p as unknown as Record<string, unknown>)));
    this.#readback.resetClock();
  }

  dispose(): void {
    this.#batches.dispose();
    this.#readback.dispose();
    this.model.dispose();
  }
}
