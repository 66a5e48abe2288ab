/** Messages between the bounds lab page and `worker/bounds.worker.ts`. One tag, `type`, both directions. */
import type { Backend } from '../config';
import type { BackendInfo } from '../train/types';
import type { LabPoint, LabSettings } from './labSettings';

export type ToBounds =
  /** Starts a fresh run (cancelling any other); points stream back every `streamEvery` steps. */
  | { type: 'start'; runId: number; settings: LabSettings; backend: Backend; streamEvery: number }
  | { type: 'batch'; runId: number; batchSize: number }
  | { type: 'stop'; runId: number };

export type FromBounds =
  | { type: 'ready'; runId: number; backend: BackendInfo; totalSteps: number }
  | { type: 'points'; runId: number; points: LabPoint[] }
  | { type: 'done'; runId: number; step: number; stopped: boolean }
  | { type: 'error'; runId: number; message: string };
