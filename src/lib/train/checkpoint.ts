/**
 * The checkpoint format: which variables a run saves (weights, BatchNorm statistics, optimiser moments, by
 * stable names), the plain-data copy of them, the format versions and the migration of older ones. The run
 * (loop.ts) adds its step, RNG streams, sampler and curves to the meta; the store (data/store.ts) writes it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { BatchSamplerState } from '../data/batches';
import type { StreamState } from '../data/stream';
import type { RngState } from '../rng';
import { flattenAdamState } from './optim';
import type { Trainer } from './step';
import type { EvalPoint, MetricPoint, NamedTensor } from './types';

/** 2: the fast step's Adam moments are flat (adam/0 m, adam/1 v, adam/2 t); 1: one m and v per variable. */
export const CHECKPOINT_VERSION = 2;

export interface CheckpointMeta {
  version: 1 | 2;
  config: Config;
  step: number;
  time: number;
  adamStep: number;
  probeAdamStep: number;
  /** Where the batch stream is: BatchSampler's state, or a streamed split's (data/stream.ts). */
  sampler: BatchSamplerState | StreamState;
  augRng: RngState;
  negRng: RngState;
  history: MetricPoint[];
  evalHistory: EvalPoint[];
  savedAt: number;
}

export type CheckpointTensors = Record<string, NamedTensor>;

export interface Checkpoint {
  meta: CheckpointMeta;
  tensors: CheckpointTensors;
}

/** Every variable that defines the model's state, by a stable name (weights, BN statistics, optimiser moments). */
export function stateVariables(model: Trainer): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [k, v] of Object.entries(model.encoder.namedWeights())) out[`encoder/${k}`] = v;
  for (const [k, v] of Object.entries(model.probe.namedWeights())) out[`probe/${k}`] = v;
  for (const [k, v] of Object.entries(model.dimNet?.namedWeights() ?? {})) out[`dim/${k}`] = v;
  for (const [k, v] of Object.entries(model.prior?.namedWeights() ?? {})) out[`dim/${k}`] = v;
  model.priorOptimizer?.state().forEach((v, i) => (out[`prior-adam/${i}`] = v));
  model.optimizer.state().forEach((v, i) => (out[`adam/${i}`] = v));
  model.probeOptimizer.state().forEach((v, i) => (out[`probe-adam/${i}`] = v));
  return out;
}

/** A plain-data copy of the variables (call between steps: no read-back may be pending). */
export async function readVariables(vars: Record<string, tf.Variable>): Promise<CheckpointTensors> {
  const names = Object.keys(vars);
  const datas = await Promise.all(names.map((n) => vars[n].data()));
  const tensors: CheckpointTensors = {};
  names.forEach((n, i) => (tensors[n] = { shape: vars[n].shape.slice(), data: Float32Array.from(datas[i] as Float32Array) }));
  return tensors;
}

/**
 * Bring a checkpoint's tensors to the current format for `model` (a copy; the caller's stays as it was):
 * a version-1 checkpoint keeps one Adam moment per variable, which the flat Adam joins into one.
 */
export function migrate(meta: Pick<CheckpointMeta, 'version'>, tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>, model: Trainer) {
  if (meta.version !== 1 && meta.version !== 2) throw new Error(`checkpoint: unknown version ${meta.version}`);
  const out = { ...tensors } as Record<string, { shape: number[]; data: Float32Array }>;
  if (model.optimizer.state().length === 3) flattenAdamState(out, 'adam', model.encoder.trainable.length);
  if (model.probeOptimizer.state().length === 3) flattenAdamState(out, 'probe-adam', model.probe.trainable.length);
  return out;
}

/** Assign every variable from `tensors`, after checking that all are present with the right shapes. */
export function assignVariables(vars: Record<string, tf.Variable>, tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>): void {
  for (const [name, v] of Object.entries(vars)) {
    const t = tensors[name];
    if (!t) throw new Error(`checkpoint: tensor "${name}" is missing`);
    if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`checkpoint: ${name}: expected [${v.shape}], got [${t.shape}]`);
  }
  // tidy: the uploaded copy goes, the variable keeps its data.
  tf.tidy(() => {
    for (const [name, v] of Object.entries(vars)) v.assign(tf.tensor(tensors[name].data as Float32Array, v.shape, v.dtype));
  });
}
