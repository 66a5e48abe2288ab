/**
 * Messages between the page and the training worker. One tag, `type`, both directions. Every request
 * carries the run id and a request id; the worker answers each request exactly once with a `reply` of that
 * id (its value, or an error), also for a request of a run that was replaced. Besides replies, the worker
 * streams what its `TrainSession` emits (lib/train/types.ts); the data types live there too, so nothing
 * below worker/ imports this file.
 */
import type { Config } from '../config';
import type { AutoChoice, NamedTensor, TrainEvent } from '../train/types';
import type { Reply } from './requests';
import type { FeatureSource, SimilarResult } from '../train/similar';

export type { AutoChoice, BackendInfo, Ceilings, DatasetInfo, Progress, EmbeddingSnapshot, EvalPoint, MemoryInfo, MetricPoint, RunState } from '../train/types';
export { EVAL_KEYS, METRIC_KEYS } from '../train/types';

/** A request without its ids (what the page's methods build). */
export type Request =
  /**
   * `runKey` names the run's checkpoints in the store; with `resume` the run continues from its last one.
   * With `auto`, the worker measures the device (or reuses the cached measurement) and chooses those.
   */
  | { type: 'init'; config: Config; runKey: string; resume?: boolean; auto?: AutoChoice }
  | { type: 'checkpoint' }
  /** Export the encoder as a TF.js graph model; import checked weights into the current run's encoder. */
  | { type: 'export-model' }
  | { type: 'import-model'; weights: Record<string, NamedTensor> }
  /** Test hooks: destroy the GPU device; poison the next step's loss with NaN. */
  | { type: 'debug'; action: 'lose-device' | 'nan' }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step'; count: number }
  /**
   * Augmented pairs by the trainer's code path; `aug` previews augmentation settings not yet applied;
   * `augB` adds pairs of the same images under a second setting (a comparison's B). `key` is echoed back.
   */
  | { type: 'preview'; count: number; aug?: Partial<Config>; augB?: Partial<Config>; key?: string }
  /** "More like this": the photos nearest to held-out photo `index` among all imported ones. */
  | { type: 'similar'; source: FeatureSource; index: number; count: number }
  /** The probe set's features under a random encoder of the same shape (the map's "random" key). */
  | { type: 'random-features' }
  | { type: 'dispose' };

export type ToWorker = Request & { runId: number; reqId: number };

/** What a successful reply carries, per request type. */
export interface ReplyValues {
  init: void;
  /** false when the run could not start (none loaded yet, or already training). */
  start: boolean;
  step: boolean;
  pause: void;
  /** The checkpoint saved, or null when there was nothing new to save. */
  checkpoint: { step: number; savedAt: number } | null;
  'export-model': { modelJson: object; weightData: ArrayBuffer };
  /** The step the weights were imported at. */
  'import-model': { step: number };
  debug: void;
  preview: void;
  similar: SimilarResult;
  'random-features': { indices: Int32Array; dim: number; features: Float32Array };
  dispose: void;
}

export type FromWorker = TrainEvent | Reply;
