/**
 * Calibration: measure this device and choose the backend and model size that keep the curve moving.
 *
 * After each candidate backend's warm-up, a few real training steps are timed (the timing is injected as
 * `measure`, so this module is pure and tests drive it with fake step functions and a fake clock):
 *  1. rank the backends on the smallest rung of the ladder and keep the fastest measured one;
 *  2. climb the ladder on it while the step rate stays at or above the target (≈ 3 steps/s), within a
 *     time budget, and choose the largest rung that kept it.
 * Software renderers (a WebGPU fallback adapter, SwiftShader, llvmpipe) are ranked after the CPU. A
 * software WebGPU adapter is never measured here: it compiles the step's shaders for about a minute, and
 * no user should wait that long to learn it is slow. Software WebGL is measured only when the CPU misses
 * the target. Hardware GPUs are measured first.
 */
import type { Config } from '../config';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

/** An initialisable backend and what is known about it before timing anything. */
export interface Candidate {
  name: BackendName;
  adapter: string;
  software: boolean;
}

/** The model-size keys calibration chooses. */
export type SizeKey = 'ndf' | 'nRkhs' | 'nDepth' | 'batchSize';
export const SIZE_KEYS: readonly SizeKey[] = ['ndf', 'nRkhs', 'nDepth', 'batchSize'];

export interface Rung extends Pick<Config, SizeKey> {
  /** The preset of this size (config.ts PRESETS). */
  name: string;
}

/** Smallest to largest; the names are presets in config.ts, so a choice can be forced with `#preset=`. */
export const LADDER: readonly Rung[] = Object.freeze([
  { name: 'tiny', ndf: 8, nRkhs: 32, nDepth: 1, batchSize: 4 },
  { name: 'small', ndf: 16, nRkhs: 64, nDepth: 1, batchSize: 8 },
  { name: 'medium', ndf: 32, nRkhs: 128, nDepth: 2, batchSize: 16 },
  { name: 'demo', ndf: 32, nRkhs: 256, nDepth: 3, batchSize: 32 },
  { name: 'large', ndf: 64, nRkhs: 512, nDepth: 3, batchSize: 64 },
]);

export interface Measurement {
  backend: BackendName;
  rung: string;
  stepsPerSec: number;
  /** Time of the first (compiling) step. */
  warmMs: number;
}

export interface Choice {
  backend: BackendName;
  adapter: string;
  software: boolean;
  rung: Rung;
  stepsPerSec: number;
  /** One line for the page, e.g. "small preset, ~4.2 steps/s on this CPU". */
  summary: string;
  /** Why: every measurement and every backend left out, one per line. */
  details: string[];
  measurements: Measurement[];
}

export interface CalibrateOptions {
  candidates: readonly Candidate[];
  /** Warm up and time a few real steps of `rung` on `backend`. */
  measure: (backend: BackendName, rung: Rung) => Promise<{ stepsPerSec: number; warmMs: number }>;
  /** Milliseconds (performance.now in the app, a fake clock in tests). */
  now: () => number;
  /** Steps per second the chosen size must keep. */
  target?: number;
  /** Stop climbing once this much time has gone (measurements already started finish). */
  budgetMs?: number;
  ladder?: readonly Rung[];
  /**
   * CPU cores: a software renderer spreads its work over them while the JavaScript CPU backend uses one,
   * so software WebGL is worth measuring (when the CPU misses the target) only with 4 or more.
   */
  cores?: number;
  /** Progress, for the page: a phase label and how many of the planned measurements are done. */
  onProgress?: (label: string, done: number, planned: number) => void;
}

export const TARGET_STEPS_PER_SEC = 3;
export const BUDGET_MS = 20_000;

/** True for an adapter that does the GPU's work on the CPU. */
/** An adapter's vendor, architecture, device and description, each once, for the page and the logs. */
export function adapterText(info: Record<string, unknown> | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = ['vendor', 'architecture', 'device', 'description'].map((k) => info[k]).filter((s): s is string => typeof s === 'string' && s.length > 0);
  return parts.length ? [...new Set(parts)].join(' · ') : 'unknown adapter';
}

export function isSoftwareAdapter(info: { isFallbackAdapter?: boolean; description?: string }): boolean {
  if (info.isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i.test(info.description ?? '');
}

/**
 * The order of measurement: hardware GPUs (WebGPU, then WebGL), the CPU, software WebGL. A software WebGPU
 * adapter is skipped unless it is the only candidate (the user forced WebGPU).
 */
export function planBackends(candidates: readonly Candidate[]): { order: Candidate[]; skipped: { c: Candidate; why: string }[] } {
  const rank = (c: Candidate) => (!c.software && c.name !== 'cpu' ? (c.name === 'webgpu' ? 0 : 1) : c.name === 'cpu' ? 2 : 3);
  if (candidates.length === 1) return { order: [...candidates], skipped: [] };
  const skipped = candidates
    .filter((c) => c.software && c.name === 'webgpu')
    .map((c) => ({ c, why: `WebGPU not measured: ${c.adapter} is a software adapter (its shaders take about a minute to compile on the CPU)` }));
  const order = candidates.filter((c) => !(c.software && c.name === 'webgpu')).sort((a, b) => rank(a) - rank(b));
  return { order, skipped };
}

/** Relative work of a step: convolution cost grows with width², depth and batch. */
export const work = (r: Rung) => r.ndf * r.ndf * r.nDepth * r.batchSize;

const deviceWord = (c: Candidate) => (c.name === 'cpu' ? 'CPU' : c.software ? `software ${c.name === 'webgl' ? 'WebGL' : 'WebGPU'}` : 'GPU');
const rate = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
const label = (m: Measurement) => `${m.backend} ${m.rung}: ${rate(m.stepsPerSec)} steps/s (first step ${(m.warmMs / 1000).toFixed(1)} s)`;

export async function calibrate(o: CalibrateOptions): Promise<Choice> {
  const target = o.target ?? TARGET_STEPS_PER_SEC;
  const budget = o.budgetMs ?? BUDGET_MS;
  const ladder = o.ladder ?? LADDER;
  const t0 = o.now();
  const { order, skipped } = planBackends(o.candidates);
  if (!order.length) throw new Error('calibration: no backend to measure');
  const measurements: Measurement[] = [];
  const details = skipped.map((s) => s.why);
  let planned = order.filter((c) => !c.software).length + (ladder.length > 1 ? 1 : 0);
  const time = async (c: Candidate, rung: Rung) => {
    o.onProgress?.(`measuring ${c.name} ${rung.name}`, measurements.length, Math.max(planned, measurements.length + 1));
    const r = await o.measure(c.name, rung);
    const m = { backend: c.name, rung: rung.name, stepsPerSec: r.stepsPerSec, warmMs: r.warmMs };
    measurements.push(m);
    details.push(label(m));
    return m;
  };

  // 1. Rank the backends on the smallest rung.
  let best: { c: Candidate; m: Measurement } | null = null;
  for (const c of order) {
    // A software GPU only when nothing measured so far keeps the target (the CPU is cheaper to try).
    if (c.software && best && best.m.stepsPerSec >= target) {
      details.push(`${c.name} not measured: ${c.adapter} is a software renderer and ${best.c.name} already keeps ${target} steps/s`);
      continue;
    }
    if (c.software && best && (o.cores ?? 4) < 4) {
      details.push(`${c.name} not measured: ${c.adapter} is a software renderer on ${o.cores} CPU cores, no faster than the CPU backend and slow to compile`);
      continue;
    }
    // Hardware that keeps the target makes the CPU (and anything software) not worth the time.
    if (c.name === 'cpu' && best && !best.c.software && best.m.stepsPerSec >= target) {
      details.push(`cpu not measured: the ${best.c.name} GPU already keeps ${target} steps/s`);
      continue;
    }
    if (best && o.now() - t0 > budget) {
      details.push(`${c.name} not measured: calibration time budget (${budget / 1000} s) spent`);
      continue;
    }
    if (c.software) planned++;
    try {
      const m = await time(c, ladder[0]);
      if (!best || m.stepsPerSec > best.m.stepsPerSec) best = { c, m };
    } catch (e) {
      details.push(`${c.name} failed: ${(e as Error).message}`);
    }
  }
  if (!best) throw new Error(`calibration: every backend failed (${details.join('; ')})`);

  // 2. Climb on the fastest one.
  let chosen = { rung: ladder[0], m: best.m };
  for (let i = 1; i < ladder.length && chosen.m.stepsPerSec >= target; i++) {
    if (o.now() - t0 > budget) {
      details.push(`stopped climbing at ${chosen.rung.name}: calibration time budget (${budget / 1000} s) spent`);
      break;
    }
    // Rates fall at most in proportion to the work; a rung predicted far below target is not worth a compile.
    const predicted = chosen.m.stepsPerSec * (work(chosen.rung) / work(ladder[i]));
    if (predicted < target / 4) {
      details.push(`${ladder[i].name} not measured: ${chosen.rung.name} at ${rate(chosen.m.stepsPerSec)} steps/s with ${(work(ladder[i]) / work(chosen.rung)).toFixed(0)}× less work predicts ${rate(predicted)} steps/s`);
      break;
    }
    planned = measurements.length + 1;
    const m = await time(best.c, ladder[i]).catch((e: Error) => {
      details.push(`${best!.c.name} ${ladder[i].name} failed: ${e.message}`);
      return null;
    });
    if (!m || m.stepsPerSec < target) break;
    chosen = { rung: ladder[i], m };
  }
  o.onProgress?.('calibrated', measurements.length, measurements.length);
  const below = chosen.m.stepsPerSec < target ? ` (under ${target} steps/s: the smallest size)` : '';
  return {
    backend: best.c.name,
    adapter: best.c.adapter,
    software: best.c.software,
    rung: chosen.rung,
    stepsPerSec: chosen.m.stepsPerSec,
    summary: `${chosen.rung.name} model, ~${rate(chosen.m.stepsPerSec)} steps/s on this ${deviceWord(best.c)}${below}`,
    details,
    measurements,
  };
}

/** The config to train: the choice applied where the user left the size or the backend to the app. */
export function applyChoice(cfg: Config, choice: Choice, auto: { size: boolean; backend: boolean }): Config {
  const out = { ...cfg };
  if (auto.size) for (const k of SIZE_KEYS) out[k] = choice.rung[k];
  if (auto.backend) out.backend = choice.backend;
  return out;
}

/**
 * What a link (URL hash) leaves to calibration: the size unless it names a preset or a size key, the
 * backend unless it names one other than auto.
 */
export function autoFromHash(hash: string): { size: boolean; backend: boolean } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const size = !p.has('preset') && !SIZE_KEYS.some((k) => p.has(k));
  const backend = !p.has('backend') || p.get('backend') === 'auto';
  return { size, backend };
}

/** The cache key: results hold for this device (its backends and adapters), image size and app version. */
export function cacheKey(candidates: readonly Candidate[], imageSize: number, appVersion: string, device: string): string {
  const backends = candidates.map((c) => `${c.name}=${c.adapter}${c.software ? '(sw)' : ''}`).join(',');
  return `calibration|${appVersion}|${imageSize}px|${device}|${backends}`;
}

/** A cached choice, if it still makes sense (its backend is still there); anything malformed is ignored. */
export function fromCache(value: unknown, candidates: readonly Candidate[]): Choice | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Partial<Choice>;
  if (typeof c.backend !== 'string' || typeof c.summary !== 'string' || typeof c.stepsPerSec !== 'number' || !Array.isArray(c.details)) return null;
  const rung = LADDER.find((r) => r.name === c.rung?.name);
  if (!rung || !candidates.some((x) => x.name === c.backend)) return null;
  return { ...(c as Choice), rung };
}
