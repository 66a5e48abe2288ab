/**
 * The plain-data shapes of a training run: metric points, evaluations, the embedding snapshot, backend and
 * dataset descriptions, and the events a `TrainSession` emits. Everything here is structured-clone safe,
 * so the same objects go to the page (worker/protocol.ts re-sends them), into checkpoints, and into tests.
 */

import type { Config } from '../config';
import type { Choice } from './calibrate';

export type RunState = 'loading' | 'idle' | 'training' | 'paused' | 'done' | 'error';

export interface BackendInfo {
  /** 'webgpu' | 'webgl' | 'cpu' */
  name: string;
  /** Adapter or renderer description, e.g. 'NVIDIA RTX 4070' or 'SwiftShader'. */
  adapter: string;
  /** Why faster backends were not used (empty when the first choice worked). */
  notes: string[];
}

/** One logged training step, plain numbers (nats). */
export interface MetricPoint {
  step: number;
  loss1t5: number;
  loss1t7: number;
  loss5t5: number;
  reg: number;
  total: number;
  /** AMDIM's NCE estimate log K − L_NCE per pair: not a lower bound (locations are not independent candidates). */
  nceEst1t5: number;
  nceEst1t7: number;
  nceEst5t5: number;
  /** Image-level InfoNCE lower bound on I(view a; view b) per pair, ceiling log B. */
  bound1t5: number;
  bound1t7: number;
  bound5t5: number;
  probeLoss: number;
  /** Online linear probe accuracy on the training batch (both views). */
  probeAcc: number;
  /** Online MLP probe accuracy (the official Evaluator's second classifier) on the training batch. */
  probeMlpAcc: number;
  lr: number;
  stepsPerSec: number;
  imagesPerSec: number;
  /** Seconds of training so far. */
  time: number;
}

/** The fields of a MetricPoint besides its step, in one fixed order (columns, CSV, serialisation). */
export const METRIC_KEYS = [
  'loss1t5', 'loss1t7', 'loss5t5', 'reg', 'total', 'nceEst1t5', 'nceEst1t7', 'nceEst5t5', 'bound1t5', 'bound1t7', 'bound5t5',
  'probeLoss', 'probeAcc', 'probeMlpAcc', 'lr', 'stepsPerSec', 'imagesPerSec', 'time',
] as const satisfies readonly Exclude<keyof MetricPoint, 'step'>[];

export type MetricKey = (typeof METRIC_KEYS)[number];

/**
 * Evaluation on the held-out split, every `embedEvery` steps. Every fitted accuracy compares three feature
 * sets on the same held-out images with the same classifier (train/evaluate.ts): the trained encoder's r1,
 * a random encoder of the same shape, and raw pixels. NaN where there are no labels.
 */
export interface EvalPoint {
  step: number;
  /** Labelled held-out images scored. */
  heldOut: number;
  /** Labelled training images the classifiers use (kNN database, softmax fit). */
  trainUsed: number;
  /** kNN (cosine, k = knnK nearest training-split images) accuracy on held-out images. */
  knnTrained: number;
  knnRandom: number;
  knnPixels: number;
  knnK: number;
  /** Softmax regression fitted on training-split features (λ by validation), accuracy on held-out images. */
  linTrained: number;
  linRandom: number;
  linPixels: number;
  /** 1 when all three softmax fits converged, else 0. */
  linConverged: number;
  /** The online linear probe (trained during training on augmented batches): a live training signal, not comparable with the fitted numbers. */
  probeOnline: number;
}

export const EVAL_KEYS = [
  'heldOut', 'trainUsed', 'knnTrained', 'knnRandom', 'knnPixels', 'knnK', 'linTrained', 'linRandom', 'linPixels', 'linConverged', 'probeOnline',
] as const satisfies readonly Exclude<keyof EvalPoint, 'step'>[];

export interface DatasetInfo {
  id: string;
  name: string;
  classNames: string[];
  trainCount: number;
  testCount: number;
  size: number;
  /** Held-out images every score is computed on (the probe set). */
  heldOut: number;
  /**
   * Set when the training split is streamed from storage through the bounded cache (data/stream.ts):
   * the cache's bound in bytes, its window in chunks, and the seeded samples kept in memory for evaluation.
   */
  streamed?: { cacheBytes: number; windowChunks: number; residentTrain: number; residentTest: number };
}

/** r1 features of the probe set at one step: what the embedding view lays out. */
export interface EmbeddingSnapshot {
  step: number;
  n: number;
  dim: number;
  /** (n, dim) r1 features of the probe set. */
  features: Float32Array;
  labels: Int32Array | null;
  /** Index of each probe image in the held-out split. */
  indices: Int32Array;
}

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
}

/** Nats: log K of each pair's NCE estimate (the most it can show), and log B of the image-level bound. */
export interface Ceilings {
  '1t5': number;
  '1t7': number;
  '5t5': number;
  bound: number;
}

/** A tensor as plain data (checkpoints, imported weights). */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** What the session is getting ready: phase `done + 1` of `total`, with an estimate of the time left. */
export interface Progress {
  done: number;
  total: number;
  label: string;
  etaSec: number | null;
}

/** What the user left to the app (no preset, size or backend named in the link or the settings). */
export interface AutoChoice {
  size: boolean;
  backend: boolean;
  /** Measure again even when a measurement of this device is cached. */
  fresh?: boolean;
}

/** What a training session tells the page. Every event carries the run it belongs to. */
export type TrainEvent =
  | { type: 'ready'; runId: number; backend: BackendInfo; dataset: DatasetInfo; ceilings: Ceilings; params: number }
  /** `evaluating`: a held-out evaluation pauses training now (the state stays 'training'). */
  | { type: 'state'; runId: number; state: RunState; step: number; message?: string; memory?: MemoryInfo; progress?: Progress; evaluating?: boolean }
  /** The device measurement's choice (train/calibrate.ts) and the config the run uses with it. */
  | { type: 'calibrated'; runId: number; choice: Choice; config: Config; cached: boolean }
  /** A resumed run's curves so far. */
  | { type: 'history'; runId: number; points: MetricPoint[]; evals: EvalPoint[] }
  | { type: 'checkpoint'; runId: number; step: number; savedAt: number }
  /** Something the user should know that is not an error (recovered from a lost GPU, …). */
  | { type: 'notice'; runId: number; message: string }
  | { type: 'metrics'; runId: number; points: MetricPoint[] }
  | { type: 'eval'; runId: number; point: EvalPoint }
  | { type: 'embedding'; runId: number; snapshot: EmbeddingSnapshot }
  /** Held-out images of the probe set, for thumbnails: (n, size, size, 3) bytes. */
  | { type: 'thumbs'; runId: number; size: number; indices: Int32Array; pixels: Uint8Array }
  | { type: 'preview'; runId: number; size: number; count: number; a: Float32Array; b: Float32Array; other?: { a: Float32Array; b: Float32Array }; key?: string }
  | { type: 'error'; runId: number; message: string; fatal: boolean };
