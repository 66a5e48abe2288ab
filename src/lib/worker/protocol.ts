/**
 * Messages between the page and the training worker. One tag, `type`, both directions. Every message
 * after `init` carries the run id; the worker drops messages for other runs, so a reset cancels cleanly.
 * What the worker sends is what its `TrainSession` emits (lib/train/types.ts); the data types live there
 * too, so nothing below worker/ imports this file.
 */
import type { Config } from '../config';
import type { NamedTensor, TrainEvent } from '../train/types';

export type { BackendInfo, DatasetInfo, EmbeddingSnapshot, EvalPoint, MemoryInfo, MetricPoint, RunState } from '../train/types';
export { EVAL_KEYS, METRIC_KEYS } from '../train/types';

export type ToWorker =
  /** `runKey` names the run's checkpoints in the store; with `resume` the run continues from its last one. */
  | { type: 'init'; runId: number; config: Config; runKey: string; resume?: boolean }
  | { type: 'checkpoint'; runId: number }
  /** Export the encoder as a TF.js graph model; import checked weights into the current run's encoder. */
  | { type: 'export-model'; runId: number }
  | { type: 'import-model'; runId: number; weights: Record<string, NamedTensor> }
  /** Test hooks: destroy the GPU device; poison the next step's loss with NaN. */
  | { type: 'debug'; runId: number; action: 'lose-device' | 'nan' }
  | { type: 'start'; runId: number }
  | { type: 'pause'; runId: number }
  | { type: 'step'; runId: number; count: number }
  /**
   * Augmented pairs by the trainer's code path; `aug` previews augmentation settings not yet applied;
   * `augB` adds pairs of the same images under a second setting (a comparison's B). `key` is echoed back.
   */
  | { type: 'preview'; runId: number; count: number; aug?: Partial<Config>; augB?: Partial<Config>; key?: string }
  | { type: 'dispose'; runId: number };

export type FromWorker = TrainEvent;
