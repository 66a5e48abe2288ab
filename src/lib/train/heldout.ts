/**
 * Evaluation of a run on the held-out split: r1 features of the probe set (a fixed, seeded sample of the
 * held-out images) and the three-way comparison behind every accuracy the app reports: the trained encoder,
 * a random encoder of the same shape, and raw pixels, each scored by the same two classifiers (evaluate.ts)
 * on the same held-out images with the same training-split images. The random encoder and the pixels do not
 * change during a run, so their scores are computed once and passed back in. The online probe's held-out
 * accuracy rides along as a live training signal.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { gather, imageBytes, residentIndices, type Dataset } from '../data/dataset';
import { rngFor } from '../rng';
import { normalizeInput, testView } from '../data/resample';
import { pixelFeatures, scoreFeatures, threeWayPoint, type FeatureScores, type Split } from './evaluate';
import { createTrainer, type Trainer } from './step';
import { refreshForEval } from './bnrefresh';
import type { EmbeddingSnapshot, EvalPoint } from './types';

/** Images per forward pass when encoding for evaluation. */
const EVAL_CHUNK = 64;
/** Training-split images the classifiers use: kNN's database and the softmax fit. */
export const EVAL_TRAIN = 1000;

/** What evaluation reads of a run. */
export interface EvaluatedRun {
  readonly cfg: Config;
  readonly data: Dataset;
  readonly model: Trainer;
  /** Indices of the probe set in the held-out split. */
  readonly probeSet: Int32Array;
  /** False for a flat or one-class folder: evaluation gives no scores. */
  readonly labeled: boolean;
  readonly step: number;
}

/** The random encoder's and the raw pixels' scores: fixed for a run, computed at its first evaluation. */
export type Baseline = { random: FeatureScores; pixels: FeatureScores };

/** Classes of the probe heads: a dataset without (usable) labels still gets a 2-way probe that is never trained or read. */
export function nClassesOf(d: Dataset): number {
  return Math.max(2, d.classNames.length);
}

/** The probe set: a fixed, seeded sample of the held-out split (of its resident sample when it is streamed). */
export function probeIndices(d: Dataset, size: number, seed: number): Int32Array {
  const all = residentIndices(d.test);
  const n = Math.min(size, all.length);
  rngFor(seed, 'probe-set').shuffle(all);
  return all.slice(0, n).sort();
}

/**
 * r1 features (eval mode, no augmentation) of images `indices` of a split, in fixed-size chunks (eval-mode
 * BatchNorm uses running statistics, re-estimated by evaluateRun first, so the chunk size does not change the result).
 */
export async function encodeImages(run: EvaluatedRun, split: 'train' | 'test', indices: Int32Array, encoder: Pick<Trainer, 'encode'> = run.model): Promise<Float32Array> {
  const set = run.data[split];
  const S = run.cfg.imageSize, D = run.cfg.nRkhs;
  const B = Math.min(EVAL_CHUNK, Math.max(run.cfg.batchSize, indices.length));
  const out = new Float32Array(indices.length * D);
  const chunk = new Int32Array(B);
  const bytes = new Uint8Array(B * imageBytes(S));
  for (let s = 0; s < indices.length; s += B) {
    // Pad the last chunk by repeating its first index so every call has the same shape.
    for (let k = 0; k < B; k++) chunk[k] = indices[Math.min(s + k, indices.length - 1)];
    gather(set, chunk, bytes);
    // The official test transform: 64 px images through Resize(70) + CenterCrop(64) and STL-10 normalisation.
    const f = tf.tidy(() => encoder.encode(normalizeInput(testView(tf.tensor4d(bytes, [B, S, S, 3], 'int32').toFloat().div(255) as tf.Tensor4D)))); // (B, D)
    const v = (await f.data()) as Float32Array;
    f.dispose();
    const m = Math.min(B, indices.length - s);
    out.set(v.subarray(0, m * D), s * D);
  }
  return out;
}

/**
 * A fixed, seeded sample of the training split (sorted), the same for all three feature sets; of a
 * streamed split, drawn from its resident sample (RESIDENT_TRAIN = EVAL_TRAIN images, data/stream.ts).
 */
export function evalTrainIndices(d: Dataset, seed: number, size = EVAL_TRAIN): Int32Array {
  const all = residentIndices(d.train);
  rngFor(seed, 'eval-train').shuffle(all);
  return all.slice(0, Math.min(size, all.length)).sort();
}

export interface FeaturePair {
  /** (nTrain, dim) and (nTest, dim). */
  train: Float32Array;
  test: Float32Array;
  dim: number;
}

/**
 * Raw pixels of the evaluation images as the encoders see them (the test view: 64 px images resized to 70
 * and centre-cropped), flattened to [0, 1]; scoreFeatures standardises them.
 */
export async function pixelPair(d: Dataset, trainIdx: Int32Array, testIdx: Int32Array): Promise<FeaturePair> {
  const S = d.train.size;
  const view = async (set: Dataset['train'], idx: Int32Array) => {
    const flat = pixelFeatures(gather(set, idx), idx.length, S);
    if (S !== 64) return flat;
    const t = tf.tidy(() => testView(tf.tensor4d(flat, [idx.length, S, S, 3])));
    const out = (await t.data()) as Float32Array;
    t.dispose();
    return out;
  };
  return { train: await view(d.train, trainIdx), test: await view(d.test, testIdx), dim: S * S * 3 };
}

export interface Labels {
  train: Int32Array;
  test: Int32Array;
  classes: number;
}

export function scorePair(f: FeaturePair, l: Labels): FeatureScores {
  const train: Split = { x: f.train, n: l.train.length, labels: l.train };
  const test: Split = { x: f.test, n: l.test.length, labels: l.test };
  return scoreFeatures(train, test, f.dim, l.classes);
}

const labelled = (a: Int32Array) => a.reduce((n, y) => n + (y >= 0 ? 1 : 0), 0);

/** One evaluation point from the three score sets and the online probe's held-out accuracy. */
export function evalPoint(step: number, l: Labels, s: { trained: FeatureScores; random: FeatureScores; pixels: FeatureScores }, probeOnline: number): EvalPoint {
  const converged = s.trained.fit.converged && s.random.fit.converged && s.pixels.fit.converged;
  return threeWayPoint(step, { heldOut: labelled(l.test), trainUsed: labelled(l.train), probeOnline, converged }, s);
}

/** A point without labels: nothing to score. */
export function unlabelledPoint(step: number): EvalPoint {
  return {
    step, heldOut: 0, trainUsed: 0, knnTrained: NaN, knnRandom: NaN, knnPixels: NaN, knnK: NaN,
    linTrained: NaN, linRandom: NaN, linPixels: NaN, linConverged: NaN, probeOnline: NaN,
  };
}

/** Accuracy of argmax over (n, classes) logits on rows with a label ≥ 0. */
export function argmaxAccuracy(logits: Float32Array, n: number, classes: number, labels: Int32Array): number {
  let right = 0, total = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    let arg = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + arg]) arg = c;
    total++;
    if (arg === labels[i]) right++;
  }
  return total ? right / total : NaN;
}

/**
 * Held-out evaluation: the trained encoder, a random encoder of the same shape and raw pixels, each by kNN
 * and a fitted softmax regression on the same images; the online probe's held-out accuracy; the embedding
 * snapshot. `baseline` (random encoder and pixels) is computed once: pass it back in.
 */
export async function evaluateRun(run: EvaluatedRun, baseline: Baseline | null): Promise<{ point: EvalPoint; snapshot: EmbeddingSnapshot; baseline: Baseline | null }> {
  const D = run.cfg.nRkhs, n = run.probeSet.length;
  refreshForEval(run, run.model); // BatchNorm statistics of the current weights (bnrefresh.ts), as the official test_model
  const feats = await encodeImages(run, 'test', run.probeSet);
  const testLabels = run.data.test.labels, trainLabels = run.data.train.labels;
  const labels = run.labeled && testLabels ? Int32Array.from(run.probeSet, (i) => testLabels[i]) : null;
  let point = unlabelledPoint(run.step);
  if (labels && trainLabels) {
    const trainIdx = evalTrainIndices(run.data, run.cfg.seed);
    const l: Labels = { train: Int32Array.from(trainIdx, (i) => trainLabels[i]), test: labels, classes: nClassesOf(run.data) };
    const logitsT = tf.tidy(() => run.model.probe.linear.logits(tf.tensor2d(feats, [n, D])));
    const probeOnline = argmaxAccuracy((await logitsT.data()) as Float32Array, n, l.classes, labels);
    logitsT.dispose();
    const trained = scorePair({ train: await encodeImages(run, 'train', trainIdx), test: feats, dim: D }, l);
    baseline ??= await baselines(run, trainIdx, l);
    point = evalPoint(run.step, l, { trained, ...baseline }, probeOnline);
  }
  return { point, snapshot: { step: run.step, n, dim: D, features: feats, labels, indices: run.probeSet.slice() }, baseline };
}

/** A freshly initialised encoder of the same shape, and raw pixels, scored like the trained encoder. */
async function baselines(run: EvaluatedRun, trainIdx: Int32Array, l: Labels): Promise<Baseline> {
  const rand = createTrainer(run.cfg, nClassesOf(run.data), rngFor(run.cfg.seed, 'random-baseline'), {
    stepsPerEpoch: Math.floor(run.data.train.count / run.cfg.batchSize),
  });
  let random: FeatureScores;
  try {
    refreshForEval(run, rand);
    random = scorePair({ train: await encodeImages(run, 'train', trainIdx, rand), test: await encodeImages(run, 'test', run.probeSet, rand), dim: run.cfg.nRkhs }, l);
  } finally {
    rand.dispose();
  }
  return { random, pixels: scorePair(await pixelPair(run.data, trainIdx, run.probeSet), l) };
}
