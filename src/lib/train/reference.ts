/**
 * Reference runs: a long recorded run of the embedded dataset (made headless with `npm run train --
 * --record <file>`), shipped in static/ and drawn faintly under the live MI curves as "where this goes".
 * Pure: building the record (Node) and checking it when the page loads it (bad files are named, not drawn).
 */
import { validate, type Config } from '../config';
import type { EvalPoint, MetricPoint } from './types';

export const REFERENCE_VERSION = 1;

export interface ReferenceRun {
  version: typeof REFERENCE_VERSION;
  /** The full config it was trained with (the page overlays it only when the model size and data match). */
  config: Config;
  /** How to make it again, e.g. `npm run train -- --preset tiny --steps 3000 --record static/…`. */
  command: string;
  machine: string;
  backend: string;
  /** ISO date of the recording. */
  date: string;
  /** Logged steps, averaged over windows so the file stays small: AMDIM's NCE estimate per pair in nats (not a bound; MetricPoint.nceEst*). */
  step: number[];
  mi1t5: number[];
  mi1t7: number[];
  mi5t5: number[];
  /** Seconds of training at each point (on the recording machine). */
  time: number[];
  /** The held-out evaluation at the end. */
  final: { step: number; linear: number; knn: number; linearRandom: number; knnRandom: number } | null;
}

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Window means of the logged points, at most `maxPoints` of them: single small batches are noisy, and a
 * mean over a window is what the smoothed chart line shows anyway. The last window may be shorter.
 */
export function downsample(points: readonly { step: number; mi1t5: number; mi1t7: number; mi5t5: number; time: number }[], maxPoints: number) {
  const w = Math.max(1, Math.ceil(points.length / Math.max(1, maxPoints)));
  const out = { step: [] as number[], mi1t5: [] as number[], mi1t7: [] as number[], mi5t5: [] as number[], time: [] as number[] };
  for (let i = 0; i < points.length; i += w) {
    const win = points.slice(i, i + w);
    const mean = (k: 'mi1t5' | 'mi1t7' | 'mi5t5') => round(win.reduce((s, p) => s + p[k], 0) / win.length);
    const last = win[win.length - 1];
    out.step.push(last.step);
    out.mi1t5.push(mean('mi1t5'));
    out.mi1t7.push(mean('mi1t7'));
    out.mi5t5.push(mean('mi5t5'));
    out.time.push(round(last.time, 1));
  }
  return out;
}

export function makeReference(
  cfg: Config,
  points: readonly MetricPoint[],
  final: EvalPoint | null,
  meta: { command: string; machine: string; backend: string; date: string },
  maxPoints = 300,
): ReferenceRun {
  return {
    version: REFERENCE_VERSION,
    config: cfg,
    ...meta,
    ...downsample(points.map((p) => ({ step: p.step, mi1t5: p.nceEst1t5, mi1t7: p.nceEst1t7, mi5t5: p.nceEst5t5, time: p.time })), maxPoints),
    // The file format keeps its names: linear/knn are the fitted linear and kNN accuracies of the trained encoder.
    final: final ? { step: final.step, linear: round(final.linTrained), knn: round(final.knnTrained), linearRandom: round(final.linRandom), knnRandom: round(final.knnRandom) } : null,
  };
}

/** Check a reference file's content; throws an Error naming what is wrong. */
export function parseReference(json: unknown): ReferenceRun {
  if (typeof json !== 'object' || json === null) throw new Error('reference run: not a JSON object');
  const r = json as Record<string, unknown>;
  if (r.version !== REFERENCE_VERSION) throw new Error(`reference run: version ${String(r.version)} is not ${REFERENCE_VERSION}`);
  const config = validate(r.config); // throws ConfigError naming the key
  const cols = ['step', 'mi1t5', 'mi1t7', 'mi5t5', 'time'] as const;
  const n = Array.isArray(r.step) ? r.step.length : -1;
  for (const k of cols) {
    const c = r[k];
    if (!Array.isArray(c) || c.length !== n || !c.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new Error(`reference run: "${k}" must be ${n >= 0 ? `${n} finite numbers` : 'an array of finite numbers'}`);
  }
  if (n < 2) throw new Error('reference run: fewer than two points');
  for (let i = 1; i < n; i++) if ((r.step as number[])[i] <= (r.step as number[])[i - 1]) throw new Error(`reference run: steps must increase (at index ${i})`);
  for (const k of ['command', 'machine', 'backend', 'date'] as const)
    if (typeof r[k] !== 'string') throw new Error(`reference run: "${k}" must be a string`);
  return { ...(r as unknown as ReferenceRun), config };
}

/** The model-size and data keys that must match for the reference to say where *this* run goes. */
export const MATCH_KEYS = ['dataset', 'imageSize', 'method', 'ndf', 'nRkhs', 'nDepth', 'batchSize'] as const satisfies readonly (keyof Config)[];

/** The keys (of MATCH_KEYS) on which `cfg` differs from the reference's config; empty means it matches. */
export function mismatch(ref: ReferenceRun, cfg: Config): (keyof Config)[] {
  return MATCH_KEYS.filter((k) => ref.config[k] !== cfg[k]);
}

/** Pick the reference whose config matches `cfg`, else null (an unmatched curve would tell the wrong story). */
export function pickReference(refs: readonly ReferenceRun[], cfg: Config): ReferenceRun | null {
  return refs.find((r) => mismatch(r, cfg).length === 0) ?? null;
}

/** First step at which `ys` reaches half of its final value (the last tenth's mean), for the README. */
export function stepsToHalf(steps: readonly number[], ys: readonly number[]): number | null {
  if (!ys.length) return null;
  const tail = ys.slice(Math.floor(ys.length * 0.9));
  const final = tail.reduce((a, b) => a + b, 0) / tail.length;
  const i = ys.findIndex((y) => y >= final / 2);
  return i >= 0 ? steps[i] : null;
}
