/**
 * One training run: dataset → batches → GPU augmentation → AMDIM step, with metrics read back
 * asynchronously in batches (no GPU→CPU stall per step), periodic evaluation on the held-out split, and
 * the random-encoder baseline. Pure TypeScript: the worker, the Node CLI and the tests all drive this.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { Rng, rngFor } from '../rng';
import { gather, imageBytes, isLabeled, type Dataset } from '../data/dataset';
import { BatchSampler } from '../data/batches';
import { augmentPairFromBytes, drawAugParams } from '../data/augment';
import { STEP_KEYS, createTrainer } from './step';
import { flattenAdamState } from './optim';
import { knnAccuracy } from '../embed/knn';
import { argmaxAccuracy, fitSoftmax, softmaxAccuracy, standardise } from './evaluate';
import type { EmbeddingSnapshot, EvalPoint, MetricPoint } from './types';
import type { BatchSamplerState } from '../data/batches';
import type { RngState } from '../rng';

export interface CheckpointMeta {
  /** 2: the fast step's Adam moments are flat (adam/0 m, adam/1 v, adam/2 t); 1: one m and v per variable. */
  version: 1 | 2;
  config: Config;
  step: number;
  time: number;
  adamStep: number;
  probeAdamStep: number;
  sampler: BatchSamplerState;
  augRng: RngState;
  negRng: RngState;
  history: MetricPoint[];
  evalHistory: EvalPoint[];
  savedAt: number;
}

/** Images per forward pass when encoding for evaluation. */
const EVAL_CHUNK = 64;
/** Training images used to fit the random-encoder baseline's linear classifier. */
const BASELINE_TRAIN = 500;


type Trainer = ReturnType<typeof createTrainer>;

export interface RunHooks {
  onMetrics?: (points: MetricPoint[]) => void;
}

/** log K for each pair: K = 1 + (B−1)·t² candidates per softmax. */
export function ceilings(batch: number) {
  return { '1t5': Math.log(1 + (batch - 1) * 25), '1t7': Math.log(1 + (batch - 1) * 49), '5t5': Math.log(1 + (batch - 1) * 25) };
}

/** Classes of the probe heads: a dataset without (usable) labels still gets a 2-way probe that is never trained or read. */
export function nClassesOf(d: Dataset): number {
  return Math.max(2, d.classNames.length);
}

/** The probe set: a fixed, seeded sample of the held-out split. */
export function probeIndices(d: Dataset, size: number, seed: number): Int32Array {
  const n = Math.min(size, d.test.count);
  const all = Int32Array.from({ length: d.test.count }, (_, i) => i);
  rngFor(seed, 'probe-set').shuffle(all);
  return all.slice(0, n).sort();
}

export class TrainingRun {
  readonly cfg: Config;
  readonly data: Dataset;
  readonly trainer: Trainer;
  readonly probe: Int32Array;
  /** False for a flat or one-class folder: the step skips the probe and evaluation gives no scores. */
  readonly labeled: boolean;
  step = 0;
  /** Seconds spent inside trainSteps (wall clock). */
  time = 0;
  #sampler: BatchSampler;
  #augRng: Rng;
  #negRng: Rng;
  #hooks: RunHooks;
  #batchBytes: Uint8Array;
  #pending: { steps: number[]; lrs: number[]; packed: tf.Tensor; t0: number; t1: number; time: number }[] = [];
  #window: { step: number; lr: number; out: Record<string, tf.Scalar> }[] = [];
  #lastLogTime = 0;
  #baseline: { knn: number; linear: number } | null = null;
  /** Everything logged so far, so a checkpoint carries the curves and a resumed run continues them. */
  readonly history: MetricPoint[] = [];
  #poison = false;
  readonly evalHistory: EvalPoint[] = [];

  constructor(cfg: Config, data: Dataset, hooks: RunHooks = {}) {
    if (data.train.size !== cfg.imageSize)
      throw new Error(`dataset "${data.name}" has ${data.train.size}px images but config.imageSize is ${cfg.imageSize}`);
    if (data.train.count < cfg.batchSize)
      throw new Error(`dataset "${data.name}" has ${data.train.count} training images, fewer than config.batchSize ${cfg.batchSize}`);
    this.cfg = cfg;
    this.data = data;
    this.labeled = isLabeled(data);
    this.#hooks = hooks;
    this.trainer = createTrainer(cfg, nClassesOf(data), rngFor(cfg.seed, 'model'), { impl: cfg.impl });
    this.#sampler = new BatchSampler(data.train.count, cfg.batchSize, rngFor(cfg.seed, 'batches'));
    this.#augRng = rngFor(cfg.seed, 'augment');
    this.#negRng = rngFor(cfg.seed, 'src5');
    this.#batchBytes = new Uint8Array(cfg.batchSize * imageBytes(cfg.imageSize));
    this.probe = probeIndices(data, cfg.probeSize, cfg.seed);
  }

  lrAt(step: number): number {
    return this.cfg.lr * Math.min(1, (step + 1) / Math.max(1, this.cfg.warmup));
  }

  /** One training step; its metrics join the current read-back window. */
  #oneStep(): void {
    const { cfg, data } = this;
    const B = cfg.batchSize, S = cfg.imageSize;
    const idx = this.#sampler.next();
    gather(data.train, idx, this.#batchBytes);
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
    if (this.#poison) {
      // Test hook: a NaN input, as a numerical blow-up would produce; it reaches the loss and the weights.
      this.#poison = false;
      const bad = tf.tidy(() => xa.mul(NaN)) as tf.Tensor4D;
      xa.dispose();
      xa = bad;
    }
    const out = this.trainer.step(xa, xb, labels, src5) as unknown as Record<string, tf.Scalar>;
    xa.dispose();
    xb.dispose();
    labels?.dispose();
    this.#window.push({ step: this.step, lr: this.lrAt(this.step), out });
    this.step++;
  }

  /** Pack the window's scalars into one tensor and start its read-back without waiting for it. */
  #startReadback(t0: number): void {
    if (!this.#window.length) return;
    const w = this.#window;
    this.#window = [];
    const packed = tf.tidy(() => tf.stack(w.map((e) => tf.stack(STEP_KEYS.map((k) => e.out[k] ?? tf.scalar(0))))));
    for (const e of w) for (const t of Object.values(e.out)) t.dispose();
    this.#pending.push({ steps: w.map((e) => e.step), lrs: w.map((e) => e.lr), packed, t0, t1: performance.now(), time: this.time });
  }

  async #drain(keep: number): Promise<void> {
    while (this.#pending.length > keep) {
      const p = this.#pending.shift()!;
      const v = (await p.packed.data()) as Float32Array; // (n, STEP_KEYS)
      p.packed.dispose();
      // Rate between successive windows being queued: with at most two read-backs in flight the queueing
      // is throttled to the GPU's pace, so this is throughput, not just the CPU's enqueue speed.
      const since = this.#lastLogTime > 0 && this.#lastLogTime < p.t1 ? this.#lastLogTime : p.t0;
      const sps = p.steps.length / Math.max(1e-6, (p.t1 - since) / 1000);
      this.#lastLogTime = p.t1;
      const points: MetricPoint[] = p.steps.map((step, r) => {
        const pt = { step: step + 1, lr: p.lrs[r], stepsPerSec: sps, imagesPerSec: sps * this.cfg.batchSize, time: p.time } as MetricPoint;
        STEP_KEYS.forEach((k, c) => (pt[k] = v[r * STEP_KEYS.length + c]));
        // No labels, no probe: its accuracy is not 0 but undefined (the loss stays 0, a true "nothing trained").
        if (!this.labeled) pt.probeAcc = NaN;
        return pt;
      });
      this.history.push(...points);
      this.#hooks.onMetrics?.(points);
    }
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
      if (!this.#window.length) windowStart = t;
      this.#oneStep();
      done++;
      this.time += (performance.now() - t) / 1000;
      if (this.#window.length >= this.cfg.logEvery) this.#startReadback(windowStart);
      await this.#drain(2);
      if (done % yieldEvery === 0) await new Promise((r) => setTimeout(r, 0));
    }
    this.#startReadback(windowStart);
    await this.#drain(0);
    return done;
  }

  /** Reset the steps/s clock (after a pause, so idle time is not counted). */
  resetClock(): void {
    this.#lastLogTime = 0;
  }

  /**
   * r1 features (eval mode, no augmentation) of images `indices` of a split, in fixed-size chunks (eval-mode
   * BatchNorm uses running statistics, so the chunk size does not change the result).
   */
  async encode(split: 'train' | 'test', indices: Int32Array, encoder: Pick<Trainer, 'encode'> = this.trainer): Promise<Float32Array> {
    const set = this.data[split];
    const S = this.cfg.imageSize, D = this.cfg.nRkhs;
    const B = Math.min(EVAL_CHUNK, Math.max(this.cfg.batchSize, indices.length));
    const out = new Float32Array(indices.length * D);
    const chunk = new Int32Array(B);
    const bytes = new Uint8Array(B * imageBytes(S));
    for (let s = 0; s < indices.length; s += B) {
      // Pad the last chunk by repeating its first index so every call has the same shape.
      for (let k = 0; k < B; k++) chunk[k] = indices[Math.min(s + k, indices.length - 1)];
      gather(set, chunk, bytes);
      const f = tf.tidy(() => encoder.encode(tf.tensor4d(bytes, [B, S, S, 3], 'int32').toFloat().div(255) as tf.Tensor4D)); // (B, D)
      const v = (await f.data()) as Float32Array;
      f.dispose();
      const m = Math.min(B, indices.length - s);
      out.set(v.subarray(0, m * D), s * D);
    }
    return out;
  }

  /** Held-out evaluation: linear probe accuracy, kNN accuracy, the random baseline, and the embedding. */
  async evaluate(): Promise<{ point: EvalPoint; snapshot: EmbeddingSnapshot }> {
    const D = this.cfg.nRkhs, n = this.probe.length, C = nClassesOf(this.data);
    const feats = await this.encode('test', this.probe);
    const labels = this.labeled && this.data.test.labels ? Int32Array.from(this.probe, (i) => this.data.test.labels![i]) : null;
    let linear = NaN, knn = NaN;
    if (labels) {
      const logitsT = tf.tidy(() => this.trainer.probe.logits(tf.tensor2d(feats, [n, D])));
      linear = argmaxAccuracy((await logitsT.data()) as Float32Array, n, C, labels);
      logitsT.dispose();
      knn = knnAccuracy(feats, n, D, labels, 20);
      if (!this.#baseline) this.#baseline = await this.#randomBaseline(labels);
    }
    const point: EvalPoint = { step: this.step, linear, knn, linearRandom: this.#baseline?.linear ?? NaN, knnRandom: this.#baseline?.knn ?? NaN };
    if (this.evalHistory.at(-1)?.step === point.step) this.evalHistory.pop();
    this.evalHistory.push(point);
    return { point, snapshot: { step: this.step, n, dim: D, features: feats, labels, indices: this.probe.slice() } };
  }

  /** A freshly initialised encoder of the same shape: kNN on its probe features, and a softmax fit on its train features. */
  async #randomBaseline(probeLabels: Int32Array): Promise<{ knn: number; linear: number }> {
    const rand = createTrainer(this.cfg, nClassesOf(this.data), rngFor(this.cfg.seed, 'random-baseline'));
    try {
      const feats = await this.encode('test', this.probe, rand);
      return { knn: knnAccuracy(feats, this.probe.length, this.cfg.nRkhs, probeLabels, 20), linear: await this.fittedLinear(probeLabels, feats, rand) };
    } finally {
      rand.dispose();
    }
  }

  /**
   * Linear evaluation by the book: a softmax regression fitted to convergence on frozen features of up to
   * 500 training images, scored on the probe set. Used for the random baseline, and (CLI, README) for the
   * trained encoder too, so both sides of the comparison get the same classifier.
   */
  async fittedLinear(probeLabels: Int32Array, probeFeats?: Float32Array, encoder: Pick<Trainer, 'encode'> = this.trainer): Promise<number> {
    if (!this.labeled || !this.data.train.labels) return NaN;
    const D = this.cfg.nRkhs, n = this.probe.length, C = nClassesOf(this.data);
    const feats = probeFeats ?? (await this.encode('test', this.probe, encoder));
    const m = Math.min(this.data.train.count, BASELINE_TRAIN);
    const trainIdx = Int32Array.from({ length: m }, (_, i) => Math.floor((i * this.data.train.count) / m));
    const trainFeats = await this.encode('train', trainIdx, encoder);
    const trainLabels = Int32Array.from(trainIdx, (i) => this.data.train.labels![i]);
    const stats = standardise(trainFeats, m, D);
    const w = fitSoftmax(trainFeats, m, D, trainLabels, C);
    const probeCopy = feats.slice();
    standardise(probeCopy, n, D, stats);
    return softmaxAccuracy(w, probeCopy, n, D, probeLabels, C);
  }

  /** Augmented pairs exactly as training makes them (same code path), from a separate preview stream. */
  async previewPairs(count: number, seed = this.cfg.seed, aug: Partial<Config> = {}): Promise<{ a: Float32Array; b: Float32Array }> {
    const S = this.cfg.imageSize;
    const pick = rngFor(seed, 'preview-images');
    const idx = Int32Array.from({ length: count }, () => pick.int(this.data.train.count));
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

  /** Every variable that defines the run, by a stable name (weights, BN statistics, optimiser moments). */
  #stateVariables(): Record<string, tf.Variable> {
    const t = this.trainer;
    const out: Record<string, tf.Variable> = {};
    for (const [k, v] of Object.entries(t.encoder.namedWeights())) out[`encoder/${k}`] = v;
    for (const [k, v] of Object.entries(t.probe.namedWeights())) out[`probe/${k}`] = v;
    t.optimizer.state().forEach((v, i) => (out[`adam/${i}`] = v));
    t.probeOptimizer.state().forEach((v, i) => (out[`probe-adam/${i}`] = v));
    return out;
  }

  /**
   * A complete, plain-data copy of the run at the current step (call between steps, after trainSteps
   * returned, so no read-back is pending): tensors as Float32Arrays, plus the RNG, sampler and histories.
   */
  async checkpoint(): Promise<{ meta: CheckpointMeta; tensors: Record<string, { shape: number[]; data: Float32Array }> }> {
    const vars = this.#stateVariables();
    const names = Object.keys(vars);
    const datas = await Promise.all(names.map((n) => vars[n].data()));
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    names.forEach((n, i) => (tensors[n] = { shape: vars[n].shape.slice(), data: Float32Array.from(datas[i] as Float32Array) }));
    const meta: CheckpointMeta = {
      version: 2,
      config: { ...this.cfg },
      step: this.step,
      time: this.time,
      adamStep: this.trainer.optimizer.step,
      probeAdamStep: this.trainer.probeOptimizer.step,
      sampler: this.#sampler.state,
      augRng: this.#augRng.state,
      negRng: this.#negRng.state,
      history: this.history.slice(),
      evalHistory: this.evalHistory.slice(),
      savedAt: Date.now(),
    };
    return { meta, tensors };
  }

  /** Put the run back exactly where `checkpoint()` was taken. Refuses a checkpoint of another model shape. */
  restore(meta: CheckpointMeta, tensors: Record<string, { shape: number[]; data: Float32Array | ArrayLike<number> }>): void {
    if (meta.version !== 1 && meta.version !== 2) throw new Error(`checkpoint: unknown version ${meta.version}`);
    // A checkpoint from before the flat Adam keeps one moment per variable: join them (copy, the caller's stays).
    tensors = { ...tensors };
    if (this.trainer.optimizer.state().length === 3) flattenAdamState(tensors, 'adam', this.trainer.encoder.trainable.length);
    if (this.trainer.probeOptimizer.state().length === 3) flattenAdamState(tensors, 'probe-adam', this.trainer.probe.trainable.length);
    const vars = this.#stateVariables();
    for (const [name, v] of Object.entries(vars)) {
      const t = tensors[name];
      if (!t) throw new Error(`checkpoint: tensor "${name}" is missing`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`checkpoint: ${name}: expected [${v.shape}], got [${t.shape}]`);
    }
    // tidy: the uploaded copy goes, the variable keeps its data.
    tf.tidy(() => {
      for (const [name, v] of Object.entries(vars)) v.assign(tf.tensor(tensors[name].data as Float32Array, v.shape, v.dtype));
    });
    this.trainer.optimizer.step = meta.adamStep;
    this.trainer.probeOptimizer.step = meta.probeAdamStep;
    this.#sampler = BatchSampler.restore(meta.sampler);
    this.#augRng = new Rng(meta.augRng);
    this.#negRng = new Rng(meta.negRng);
    this.step = meta.step;
    this.time = meta.time;
    this.history.length = 0;
    this.history.push(...meta.history);
    this.evalHistory.length = 0;
    this.evalHistory.push(...meta.evalHistory);
    this.#lastLogTime = 0;
  }

  dispose(): void {
    for (const e of this.#window) for (const t of Object.values(e.out)) t.dispose();
    for (const p of this.#pending) p.packed.dispose();
    this.#window = [];
    this.#pending = [];
    this.trainer.dispose();
  }
}
