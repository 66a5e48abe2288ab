/// <reference lib="webworker" />
/**
 * The training worker: a thin switch over lib/. All tensors live here; the page only sees plain numbers
 * and transferred arrays. A run id on every message lets a reset cancel the old run between steps.
 * Faults: a lost GPU device rebuilds the backend (or falls back) and resumes from the last checkpoint; a
 * NaN loss restores the last good checkpoint and names the term that went bad.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { Dataset } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import { loadCheckpoint, loadDataset, saveCheckpoint } from '../data/store';
import { exportEncoder, loadEncoderWeights } from '../model/export';
import { loseDevice, onDeviceLost, rebuildBackend, selectBackend } from '../train/backend';
import { TrainingRun, ceilings, type CheckpointMeta } from '../train/loop';
import { disposeStepCaches } from '../train/step';
import type { BackendInfo, FromWorker, MetricPoint, RunState, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let runId = -1;
let runKey = '';
let run: TrainingRun | null = null;
let state: RunState = 'loading';
let backend: BackendInfo | null = null;
let backendPref: string | null = null;
let datasetCache: { key: string; data: Dataset } | null = null;
let lastEvalStep = -1;
let previews = 0; // each preview request draws new pairs, reproducibly from the seed
/** The evaluation in flight, if any: training waits for it rather than interleaving with it. */
let evaluating: Promise<void> | null = null;
/** True while the warm-up step runs: its metrics are not shown. */
let warming = false;
/** Set by device.lost; the training loop stops and recovers. */
let deviceLost: string | null = null;
/** The first loss term that came back non-finite. */
let badTerm: { term: string; step: number } | null = null;
let lastCheckpoint = { at: 0, step: -1 };

const TERMS: [keyof MetricPoint, string][] = [
  ['loss1t5', 'L 1→5'],
  ['loss1t7', 'L 1→7'],
  ['loss5t5', 'L 5→5'],
  ['reg', 'score regulariser'],
  ['probeLoss', 'probe loss'],
  ['total', 'total'],
];

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function memory() {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

/** Shown next to the run state while the warm-up step compiles the kernels. */
const WARMING = 'warming up: compiling kernels';

function setState(s: RunState, message?: string): void {
  state = s;
  // During the warm-up the run is transiently one step on; the page must not show that step.
  post({ type: 'state', runId, state: s, step: warming ? 0 : (run?.step ?? 0), message: message ?? (warming ? WARMING : undefined), memory: memory() });
}

function fail(id: number, e: unknown, fatal = true): void {
  const message = e instanceof Error ? e.message : String(e);
  console.error(e);
  post({ type: 'error', runId: id, message, fatal });
  if (id === runId && fatal) setState('error', message);
}

async function getDataset(cfg: Config): Promise<Dataset> {
  const key = cfg.dataset === 'embedded' ? `embedded:${cfg.seed}:${cfg.trainCount}:${cfg.testCount}:${cfg.imageSize}` : `store:${cfg.dataset}`;
  if (datasetCache?.key === key) return datasetCache.data;
  const data =
    cfg.dataset === 'embedded'
      ? makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: cfg.imageSize })
      : await loadDataset(cfg.dataset);
  if (data.train.size !== cfg.imageSize)
    throw new Error(`Dataset "${data.name}" holds ${data.train.size}px images; set Image size to ${data.train.size} to train on it.`);
  datasetCache = { key, data };
  return data;
}

function watchDevice(): void {
  onDeviceLost((reason) => {
    deviceLost = reason;
  });
}

/** Build a run for `cfg` and, when a checkpoint exists under `runKey` and `resume` is set, restore it. */
async function buildRun(id: number, cfg: Config, resume: boolean): Promise<TrainingRun | null> {
  const data = await getDataset(cfg);
  if (id !== runId) return null;
  const r = new TrainingRun(cfg, data, {
    onMetrics: (points) => {
      for (const p of points) {
        if (badTerm) break;
        const bad = TERMS.find(([k]) => !Number.isFinite(p[k]));
        if (bad) badTerm = { term: bad[1], step: p.step };
      }
      if (id === runId && !warming) post({ type: 'metrics', runId: id, points });
    },
  });
  let restored = false;
  if (resume) {
    const ck = await loadCheckpoint(runKey);
    if (ck) {
      r.restore(ck.meta as CheckpointMeta, ck.tensors);
      restored = true;
      lastCheckpoint = { at: performance.now(), step: r.step };
    }
  }
  const params = r.trainer.encoder.trainable.reduce((s, v) => s + v.size, 0);
  post({
    type: 'ready',
    runId: id,
    backend: backend!,
    dataset: { id: data.id, name: data.name, classNames: data.classNames, trainCount: data.train.count, testCount: data.test.count, size: data.train.size, heldOut: r.probe.length },
    ceilings: ceilings(cfg.batchSize),
    params,
  });
  if (restored) post({ type: 'history', runId: id, points: r.history.slice(), evals: r.evalHistory.slice() });
  const per = data.test.size * data.test.size * 3;
  const pixels = new Uint8Array(r.probe.length * per);
  r.probe.forEach((i, k) => pixels.set(data.test.pixels.subarray(i * per, (i + 1) * per), k * per));
  post({ type: 'thumbs', runId: id, size: data.test.size, indices: r.probe.slice(), pixels }, [pixels.buffer]);
  return r;
}

async function init(id: number, cfg: Config, key: string, resume: boolean): Promise<void> {
  run?.dispose();
  run = null;
  runId = id;
  runKey = key;
  lastEvalStep = -1;
  badTerm = null;
  lastCheckpoint = { at: performance.now(), step: -1 };
  setState('loading');
  if (!backend || backendPref !== cfg.backend) {
    disposeStepCaches();
    backend = await selectBackend(cfg.backend);
    backendPref = cfg.backend;
    watchDevice();
  }
  const r = await buildRun(id, cfg, resume);
  if (!r || id !== runId) return r?.dispose();
  run = r;
  lastEvalStep = -1;
  setState(cfg.steps > 0 && r.step >= cfg.steps ? 'done' : r.step > 0 ? 'paused' : 'idle');
  // While the user reads the page: compile the step's shaders, then the current scores and embedding.
  await exclusive(async () => {
    await warmUp(id);
    await evaluateNow(id);
  });
}

/** Run `fn` after any evaluation or warm-up in flight; training waits for it too. */
function exclusive(fn: () => Promise<void>): Promise<void> {
  if (evaluating) return evaluating.then(() => exclusive(fn));
  evaluating = fn().finally(() => (evaluating = null));
  return evaluating;
}

function evaluate(id: number): Promise<void> {
  return exclusive(() => evaluateNow(id));
}

/**
 * One throwaway training step on a fresh run, then back to the exact state before it: the first real step
 * no longer pays for shader compilation (tens of seconds on software WebGPU, seconds on a real GPU).
 */
async function warmUp(id: number): Promise<void> {
  const r = run;
  if (!r || id !== runId || r.step !== 0) return;
  const before = await r.checkpoint();
  warming = true;
  setState(state);
  try {
    await r.trainSteps(1);
  } finally {
    warming = false;
  }
  r.restore(before.meta, before.tensors);
  if (id === runId) setState(state);
}

async function evaluateNow(id: number): Promise<void> {
  if (!run || id !== runId || run.step === lastEvalStep) return;
  lastEvalStep = run.step;
  const { point, snapshot } = await run.evaluate();
  if (id !== runId) return;
  post({ type: 'eval', runId: id, point });
  const transfer: Transferable[] = [snapshot.features.buffer, snapshot.indices.buffer];
  if (snapshot.labels) transfer.push(snapshot.labels.buffer);
  post({ type: 'embedding', runId: id, snapshot }, transfer);
}

/** Save the run atomically (the store swaps a pointer only after the new copy is written). */
async function checkpointNow(id: number): Promise<void> {
  const r = run;
  if (!r || id !== runId || r.step === lastCheckpoint.step || badTerm) return;
  const { meta, tensors } = await r.checkpoint();
  try {
    await saveCheckpoint(runKey, meta, tensors);
    lastCheckpoint = { at: performance.now(), step: meta.step };
    post({ type: 'checkpoint', runId: id, step: meta.step, savedAt: meta.savedAt });
  } catch (e) {
    post({ type: 'error', runId: id, message: `Checkpoint not saved: ${(e as Error).message}. Training goes on; the previous checkpoint is kept.`, fatal: false });
    lastCheckpoint.at = performance.now();
  }
}

async function train(id: number, maxSteps: number): Promise<void> {
  const r = run;
  if (!r) return;
  const cfg = r.cfg;
  setState('training');
  if (evaluating) await evaluating;
  r.resetClock();
  let left = maxSteps;
  const stop = () => state !== 'training' || id !== runId || deviceLost !== null || badTerm !== null;
  try {
    while (!stop() && left > 0) {
      if (cfg.steps > 0 && r.step >= cfg.steps) break;
      const toEval = cfg.embedEvery - (r.step % cfg.embedEvery);
      const toEnd = cfg.steps > 0 ? cfg.steps - r.step : Infinity;
      const n = Math.min(left, toEval, toEnd, cfg.logEvery);
      const done = await r.trainSteps(n, stop);
      left -= done;
      if (id !== runId) return;
      if (deviceLost !== null || badTerm !== null) break;
      post({ type: 'state', runId: id, state, step: r.step, memory: memory() });
      if (r.step % cfg.embedEvery === 0) {
        await evaluate(id);
        r.resetClock(); // evaluation time is not training time
      }
      if (performance.now() - lastCheckpoint.at > cfg.checkpointSec * 1000) await checkpointNow(id);
    }
  } catch (e) {
    if (deviceLost === null) throw e; // a failure caused by the lost device is handled below
  }
  if (id !== runId) return;
  if (deviceLost !== null) return recoverFromDeviceLoss(id, true);
  if (badTerm !== null) return recoverFromNaN(id);
  if (cfg.steps > 0 && r.step >= cfg.steps) {
    await evaluate(id);
    await checkpointNow(id);
    setState('done');
  } else {
    setState(state === 'training' ? 'paused' : state);
    if (state === 'paused') await checkpointNow(id);
  }
}

async function restoreLatest(id: number, cfg: Config): Promise<{ r: TrainingRun; from: number } | null> {
  run?.dispose();
  run = null;
  const r = await buildRun(id, cfg, true);
  if (!r || id !== runId) return null;
  run = r;
  lastEvalStep = -1;
  return { r, from: r.step };
}

async function recoverFromDeviceLoss(id: number, wasTraining: boolean): Promise<void> {
  const cfg = run!.cfg;
  const reason = deviceLost;
  setState('loading', 'GPU device lost');
  try {
    run?.dispose();
  } catch {
    // tensors of a lost device may fail to free; they go with the backend
  }
  run = null;
  disposeStepCaches();
  backend = await rebuildBackend(cfg.backend);
  deviceLost = null;
  watchDevice();
  const restored = await restoreLatest(id, cfg);
  if (!restored) return;
  post({
    type: 'notice',
    runId: id,
    message: `The GPU device was lost (${reason}). Rebuilt the ${backend.name} backend and resumed from the checkpoint at step ${restored.from}.`,
  });
  setState(restored.from > 0 ? 'paused' : 'idle');
  if (wasTraining) await train(id, Infinity);
}

async function recoverFromNaN(id: number): Promise<void> {
  const cfg = run!.cfg;
  const bad = badTerm!;
  const restored = await restoreLatest(id, cfg);
  badTerm = null;
  if (!restored) return;
  post({
    type: 'error',
    runId: id,
    message: `The ${bad.term} became NaN or infinite at step ${bad.step}. Training stopped and the last good checkpoint (step ${restored.from}) was restored. A lower learning rate or a smaller score clip usually helps.`,
    fatal: false,
  });
  setState(restored.from > 0 ? 'paused' : 'idle');
}

/** Pairs for the preview; with `augB`, the same images and random draws under B's settings too. */
async function preview(r: TrainingRun, m: Extract<ToWorker, { type: 'preview' }>): Promise<void> {
  const seed = r.cfg.seed + 7919 * previews++;
  const { a, b } = await r.previewPairs(m.count, seed, m.aug);
  const other = m.augB ? await r.previewPairs(m.count, seed, m.augB) : undefined;
  // Each array owns its buffer (previewPairs copies), so no buffer appears twice in the transfer list.
  const transfer = [...new Set([a.buffer, b.buffer, other?.a.buffer, other?.b.buffer].filter((x): x is ArrayBuffer => !!x))];
  post({ type: 'preview', runId: m.runId, size: r.cfg.imageSize, count: m.count, a, b, other, key: m.key }, transfer);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type !== 'init' && m.runId !== runId) return; // a message for a cancelled run
  switch (m.type) {
    case 'init':
      init(m.runId, m.config, m.runKey, !!m.resume).catch((err) => fail(m.runId, err));
      break;
    case 'start':
      if (run && state !== 'training') train(m.runId, Infinity).catch((err) => fail(m.runId, err));
      break;
    case 'step':
      if (run && state !== 'training') train(m.runId, m.count).catch((err) => fail(m.runId, err));
      break;
    case 'pause':
      if (state === 'training') state = 'paused';
      break;
    case 'checkpoint':
      if (state !== 'training') checkpointNow(m.runId).catch((err) => fail(m.runId, err, false));
      break;
    case 'preview':
      if (run) preview(run, m).catch((err) => fail(m.runId, err, false));
      break;
    case 'export-model':
      if (run)
        exportEncoder(run.trainer.encoder)
          .then((r) => post({ type: 'model', runId: m.runId, modelJson: r.modelJson, weightData: r.weightData }, [r.weightData]))
          .catch((err) => fail(m.runId, err, false));
      break;
    case 'import-model':
      if (run && state !== 'training') {
        try {
          loadEncoderWeights(run.trainer.encoder, m.weights);
          lastEvalStep = -1;
          post({ type: 'model-imported', runId: m.runId, step: run.step });
          evaluate(m.runId).catch((err) => fail(m.runId, err, false));
        } catch (err) {
          fail(m.runId, err, false);
        }
      }
      break;
    case 'debug':
      if (m.action === 'nan') run?.poisonNextStep();
      else if (!loseDevice()) post({ type: 'notice', runId, message: 'lose-device: the current backend is not WebGPU' });
      else if (state !== 'training') {
        // Nothing is running to notice the loss: recover once the promise has fired.
        setTimeout(() => deviceLost !== null && run && recoverFromDeviceLoss(runId, false).catch((err) => fail(runId, err)), 50);
      }
      break;
    case 'dispose':
      run?.dispose();
      run = null;
      break;
  }
};

self.addEventListener('unhandledrejection', (e) => fail(runId, e.reason));
self.addEventListener('error', (e) => fail(runId, e.error ?? e.message));
