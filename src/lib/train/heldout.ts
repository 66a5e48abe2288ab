/**
 * Evaluation of a run on the held-out split: r1 features of the probe set (a fixed, seeded sample of the
 * held-out images), the online linear probe's accuracy, kNN accuracy, and the same scores for a randomly
 * initialised encoder of the same shape. The classifiers themselves live in evaluate.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { gather, imageBytes, type Dataset } from '../data/dataset';
import { knnAccuracy } from '../embed/knn';
import { rngFor } from '../rng';
import { argmaxAccuracy, fitSoftmax, softmaxAccuracy, standardise } from './evaluate';
import { createTrainer, type Trainer } from './step';
import type { EmbeddingSnapshot, EvalPoint } from './types';

/** Images per forward pass when encoding for evaluation. */
const EVAL_CHUNK = 64;
/** Training images used to fit the random-encoder baseline's linear classifier. */
const BASELINE_TRAIN = 500;

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

export type Baseline = { knn: number; linear: number };

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

/**
 * r1 features (eval mode, no augmentation) of images `indices` of a split, in fixed-size chunks (eval-mode
 * BatchNorm uses running statistics, so the chunk size does not change the result).
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
    const f = tf.tidy(() => encoder.encode(tf.tensor4d(bytes, [B, S, S, 3], 'int32').toFloat().div(255) as tf.Tensor4D)); // (B, D)
    const v = (await f.data()) as Float32Array;
    f.dispose();
    const m = Math.min(B, indices.length - s);
    out.set(v.subarray(0, m * D), s * D);
  }
  return out;
}

/**
 * Held-out evaluation: linear probe accuracy, kNN accuracy, the random baseline (computed once: pass it
 * back in as `baseline`), and the embedding snapshot.
 */
export async function evaluateRun(run: EvaluatedRun, baseline: Baseline | null): Promise<{ point: EvalPoint; snapshot: EmbeddingSnapshot; baseline: Baseline | null }> {
  const D = run.cfg.nRkhs, n = run.probeSet.length, C = nClassesOf(run.data);
  const feats = await encodeImages(run, 'test', run.probeSet);
  const testLabels = run.data.test.labels;
  const labels = run.labeled && testLabels ? Int32Array.from(run.probeSet, (i) => testLabels[i]) : null;
  let linear = NaN, knn = NaN;
  if (labels) {
    const logitsT = tf.tidy(() => run.model.probe.linear.logits(tf.tensor2d(feats, [n, D])));
    linear = argmaxAccuracy((await logitsT.data()) as Float32Array, n, C, labels);
    logitsT.dispose();
    knn = knnAccuracy(feats, n, D, labels, 20);
    if (!baseline) baseline = await randomBaseline(run, labels);
  }
  const point: EvalPoint = { step: run.step, linear, knn, linearRandom: baseline?.linear ?? NaN, knnRandom: baseline?.knn ?? NaN };
  return { point, snapshot: { step: run.step, n, dim: D, features: feats, labels, indices: run.probeSet.slice() }, baseline };
}

/** A freshly initialised encoder of the same shape: kNN on its probe features, and a softmax fit on its train features. */
async function randomBaseline(run: EvaluatedRun, probeLabels: Int32Array): Promise<Baseline> {
  const rand = createTrainer(run.cfg, nClassesOf(run.data), rngFor(run.cfg.seed, 'random-baseline'), {
    stepsPerEpoch: Math.floor(run.data.train.count / run.cfg.batchSize),
  });
  try {
    const feats = await encodeImages(run, 'test', run.probeSet, rand);
    return { knn: knnAccuracy(feats, run.probeSet.length, run.cfg.nRkhs, probeLabels, 20), linear: await fittedLinear(run, probeLabels, feats, rand) };
  } finally {
    rand.dispose();
  }
}

/**
 * Linear evaluation by the book: a softmax regression fitted to convergence on frozen features of up to
 * 500 training images, scored on the probe set. Used for the random baseline, and (CLI, README) for the
 * trained encoder too, so both sides of the comparison get the same classifier.
 */
export async function fittedLinear(run: EvaluatedRun, probeLabels: Int32Array, probeFeats?: Float32Array, encoder: Pick<Trainer, 'encode'> = run.model): Promise<number> {
  const trainLabels = run.data.train.labels;
  if (!run.labeled || !trainLabels) return NaN;
  const D = run.cfg.nRkhs, n = run.probeSet.length, C = nClassesOf(run.data);
  const feats = probeFeats ?? (await encodeImages(run, 'test', run.probeSet, encoder));
  const m = Math.min(run.data.train.count, BASELINE_TRAIN);
  const trainIdx = Int32Array.from({ length: m }, (_, i) => Math.floor((i * run.data.train.count) / m));
  const trainFeats = await encodeImages(run, 'train', trainIdx, encoder);
  const stats = standardise(trainFeats, m, D);
  const w = fitSoftmax(trainFeats, m, D, Int32Array.from(trainIdx, (i) => trainLabels[i]), C);
  const probeCopy = feats.slice();
  standardise(probeCopy, n, D, stats);
  return softmaxAccuracy(w, probeCopy, n, D, probeLabels, C);
}
