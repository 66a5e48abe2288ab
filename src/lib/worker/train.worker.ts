/// <reference lib="webworker" />
/**
 * The training worker: a thin switch over lib/. All tensors live here; the page only sees plain numbers
 * and transferred arrays. A run id on every message lets a reset cancel the old run between steps.
 */
import type { Config } from '../config';
import type { Dataset } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import { loadDataset } from '../data/store';
import { selectBackend } from '../train/backend';
import { TrainingRun, ceilings } from '../train/loop';
import type { BackendInfo, FromWorker, RunState, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let runId = -1;
let run: TrainingRun | null = null;
let state: RunState = 'loading';
let backend: BackendInfo | null = null;
let backendPref: string | null = null;
let datasetCache: { key: string; data: Dataset } | null = null;
let lastEvalStep = -1;
/** The evaluation in flight, if any: training waits for it rather than interleaving with it. */
let evaluating: Promise<void> | null = null;
let previews = 0; // each preview request draws new pairs, reproducibly from the seed

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function setState(s: RunState, message?: string): void {
  state = s;
  post({ type: 'state', runId, state: s, step: run?.step ?? 0, message });
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
  datasetCache = { key, data };
  return data;
}

async function init(id: number, cfg: Config): Promise<void> {
  run?.dispose();
  run = null;
  runId = id;
  lastEvalStep = -1;
  setState('loading');
  if (!backend || backendPref !== cfg.backend) {
    backend = await selectBackend(cfg.backend);
    backendPref = cfg.backend;
  }
  const data = await getDataset(cfg);
  if (id !== runId) return;
  const r = new TrainingRun(cfg, data, {
    onMetrics: (points) => {
      if (id === runId) post({ type: 'metrics', runId: id, points });
    },
  });
  run = r;
  const params = r.trainer.encoder.trainable.reduce((s, v) => s + v.size, 0);
  post({
    type: 'ready',
    runId: id,
    backend,
    dataset: { id: data.id, name: data.name, classNames: data.classNames, trainCount: data.train.count, testCount: data.test.count, size: data.train.size },
    ceilings: ceilings(cfg.batchSize),
    params,
  });
  const per = data.test.size * data.test.size * 3;
  const pixels = new Uint8Array(r.probe.length * per);
  r.probe.forEach((i, k) => pixels.set(data.test.pixels.subarray(i * per, (i + 1) * per), k * per));
  post({ type: 'thumbs', runId: id, size: data.test.size, indices: r.probe.slice(), pixels }, [pixels.buffer]);
  setState('idle');
  await evaluate(id); // step-0 scores and embedding, while the user reads the page
}

function evaluate(id: number): Promise<void> {
  if (evaluating) return evaluating.then(() => evaluate(id));
  evaluating = evaluateNow(id).finally(() => (evaluating = null));
  return evaluating;
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

async function train(id: number, maxSteps: number): Promise<void> {
  const r = run;
  if (!r) return;
  const cfg = r.cfg;
  setState('training');
  if (evaluating) await evaluating;
  r.resetClock();
  let left = maxSteps;
  const stop = () => state !== 'training' || id !== runId;
  while (!stop() && left > 0) {
    if (cfg.steps > 0 && r.step >= cfg.steps) break;
    const toEval = cfg.embedEvery - (r.step % cfg.embedEvery);
    const toEnd = cfg.steps > 0 ? cfg.steps - r.step : Infinity;
    const n = Math.min(left, toEval, toEnd, cfg.logEvery);
    const done = await r.trainSteps(n, stop);
    left -= done;
    if (id !== runId) return;
    post({ type: 'state', runId: id, state, step: r.step });
    if (r.step % cfg.embedEvery === 0) {
      await evaluate(id);
      r.resetClock(); // evaluation time is not training time
    }
  }
  if (id !== runId) return;
  if (cfg.steps > 0 && r.step >= cfg.steps) {
    await evaluate(id);
    setState('done');
  } else setState(state === 'training' ? 'paused' : state);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type !== 'init' && m.runId !== runId) return; // a message for a cancelled run
  switch (m.type) {
    case 'init':
      init(m.runId, m.config).catch((err) => fail(m.runId, err));
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
    case 'preview':
      run
        ?.previewPairs(m.count, run.cfg.seed + 7919 * previews++)
        .then(({ a, b }) => post({ type: 'preview', runId: m.runId, size: run!.cfg.imageSize, count: m.count, a, b }, [a.buffer, b.buffer]))
        .catch((err) => fail(m.runId, err, false));
      break;
    case 'dispose':
      run?.dispose();
      run = null;
      break;
  }
};

self.addEventListener('unhandledrejection', (e) => fail(runId, e.reason));
self.addEventListener('error', (e) => fail(runId, e.error ?? e.message));
