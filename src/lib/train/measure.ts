/**
 * The real side of calibration (calibrate.ts is the pure decision): find which backends this device
 * offers and what they are (hardware or software) without compiling anything, time a few real training
 * steps of one size on one backend, and cache the choice per device and app version.
 */
import * as tf from '@tensorflow/tfjs';
import { version as APP_VERSION } from '../../../package.json';
import type { Backend, Config } from '../config';
import type { Dataset } from '../data/dataset';
import { TrainingRun } from './loop';
import { disposeStepCaches } from './step';
import { SIZE_KEYS, adapterText, applyChoice, cacheKey, calibrate, fromCache, isSoftwareAdapter, type BackendName, type Candidate, type Choice, type Rung } from './calibrate';
import type { Checkpoint } from './checkpoint';

type AdapterLike = { isFallbackAdapter?: boolean; info?: Record<string, unknown>; requestAdapterInfo?: () => Promise<Record<string, unknown>> };
type GpuLike = { requestAdapter(opts?: object): Promise<AdapterLike | null> };

async function webgpuCandidate(): Promise<Candidate | null> {
  const g = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!g) return null;
  const adapter = await g.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return null;
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo().catch(() => undefined) : undefined);
  const text = adapterText(info);
  const fallback = !!(adapter.isFallbackAdapter ?? (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
  return { name: 'webgpu', adapter: text, software: isSoftwareAdapter({ isFallbackAdapter: fallback, description: text }) };
}

async function webglCandidate(): Promise<Candidate | null> {
  try {
    if (!tf.findBackendFactory('webgl') || !(await tf.setBackend('webgl'))) return null;
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    let text = 'WebGL2';
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      text = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    }
    return { name: 'webgl', adapter: text, software: isSoftwareAdapter({ description: text }) };
  } catch {
    return null;
  }
}

/** The backends to consider: all of them for 'auto', else only the one asked for (when it exists). */
export async function probeCandidates(pref: Backend): Promise<Candidate[]> {
  const out: Candidate[] = [];
  if (pref === 'auto' || pref === 'webgpu') {
    const c = await webgpuCandidate();
    if (c) out.push(c);
  }
  if (pref === 'auto' || pref === 'webgl') {
    const c = await webglCandidate();
    if (c) out.push(c);
  }
  if (pref === 'auto' || pref === 'cpu' || !out.length) out.push({ name: 'cpu', adapter: 'JavaScript (main CPU)', software: false });
  return out;
}

async function useBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  // Cached masks, indices and constants belong to the backend that made them.
  disposeStepCaches();
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

/**
 * Warm up and time real training steps of `rung` on `name`: one compiling step, then steps until
 * `minMs` has passed (at least two, at most `maxSteps`). The kernels it compiles stay in the backend, so
 * the chosen size needs no second warm-up afterwards (session.ts). Each timed call ends with the metrics read
 * back, so the time covers the device finishing the work, not only issuing it.
 */
export async function measureRung(
  name: BackendName,
  rung: Rung,
  cfg: Config,
  data: Dataset,
  opts: { minMs?: number; maxSteps?: number; makeRun?: MakeRun; keep?: (m: MeasuredRun) => void } = {},
): Promise<{ stepsPerSec: number; warmMs: number }> {
  await useBackend(name);
  const minMs = opts.minMs ?? 800, maxSteps = opts.maxSteps ?? 12;
  const runCfg: Config = { ...cfg, ...pick(rung), backend: name };
  // A run the caller may keep is made by the caller, with the real config; a throwaway one logs nothing.
  const run = opts.makeRun ? opts.makeRun(runCfg) : new TrainingRun({ ...runCfg, logEvery: 1000, embedEvery: 1_000_000 }, data);
  const fresh = opts.keep ? await run.checkpoint() : null;
  let kept = false;
  try {
    let t = performance.now();
    await run.trainSteps(1);
    const warmMs = performance.now() - t;
    t = performance.now();
    let steps = await run.trainSteps(2);
    let ms = performance.now() - t;
    const more = Math.min(maxSteps - steps, Math.floor((minMs - ms) / (ms / steps)));
    if (more > 0) {
      steps += await run.trainSteps(more);
      ms = performance.now() - t;
    }
    if (opts.keep && fresh) {
      opts.keep({ run, backend: name, rung: rung.name, fresh });
      kept = true;
    }
    return { stepsPerSec: steps / (ms / 1000), warmMs };
  } finally {
    if (!kept) run.dispose();
  }
}

const pick = (r: Rung) => ({ ndf: r.ndf, nRkhs: r.nRkhs, nDepth: r.nDepth, batchSize: r.batchSize });

export interface ChoiceStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** Builds a training run for a config (the session's, so a measured run can become the real one). */
export type MakeRun = (cfg: Config) => TrainingRun;

/** A run that was timed, kept with its state before the first timed step. */
export interface MeasuredRun {
  run: TrainingRun;
  backend: BackendName;
  rung: string;
  fresh: Checkpoint;
}

export interface DeviceChoice {
  choice: Choice;
  /** The config to train with: the choice applied where `auto` allows. */
  config: Config;
  cached: boolean;
  /**
   * With `makeRun`: the run that was timed last, when it is exactly the config to train (its kernels are
   * compiled and its timed steps are real training steps; `fresh` puts it back at step 0). The caller owns it.
   */
  measured?: MeasuredRun;
}

/**
 * Measure this device (or reuse the cached result for it) and return the config to train. `auto` says
 * what the user left to the app; a forced backend is the only candidate measured.
 */
export async function chooseForDevice(
  cfg: Config,
  data: Dataset,
  auto: { size: boolean; backend: boolean; fresh?: boolean },
  store: ChoiceStore | null,
  onProgress?: (label: string, done: number, planned: number) => void,
  makeRun?: MakeRun,
): Promise<DeviceChoice> {
  const candidates = await probeCandidates(auto.backend ? 'auto' : cfg.backend);
  const device = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  const key = cacheKey(candidates, cfg.imageSize, APP_VERSION, `${device?.userAgent ?? 'node'}|${device?.hardwareConcurrency ?? 0}`);
  const cached = auto.fresh ? null : fromCache(await store?.get(key).catch(() => undefined), candidates);
  if (cached) return { choice: cached, config: applyChoice(cfg, cached, auto), cached: true };
  // The core count decides whether a software WebGL renderer is worth timing (calibrate.ts `cores`): on
  // 2 cores it is not, and timing it cost a minute of shader compiling before the first step.
  const cores = device?.hardwareConcurrency || undefined;
  // Only the latest timed run is kept (one model in memory at a time).
  let last: MeasuredRun | null = null;
  const keep = (m: MeasuredRun) => {
    last?.run.dispose();
    last = m;
  };
  const measure = (b: BackendName, r: Rung) => measureRung(b, r, cfg, data, makeRun ? { makeRun, keep } : {});
  let choice: Choice;
  try {
    choice = await calibrate({ candidates, measure, now: () => performance.now(), onProgress, cores });
  } catch (e) {
    (last as MeasuredRun | null)?.run.dispose();
    throw e;
  }
  await store?.set(key, choice).catch(() => {});
  const config = applyChoice(cfg, choice, auto);
  const m = last as MeasuredRun | null;
  const same = m !== null && m.backend === config.backend && m.run.cfg.backend === config.backend && SIZE_KEYS.every((k) => m.run.cfg[k] === config[k]);
  if (m && !same) m.run.dispose();
  return { choice, config, cached: false, measured: same ? m! : undefined };
}
