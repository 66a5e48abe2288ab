/**
 * Comparisons: variants that change one thing (an augmentation recipe or the method), the table of
 * settings that differ, final scores, the shareable link, and CSV export. Pure functions over RunData
 * and Config, so the page and the tests share them.
 */
import { CONFIG_KEYS, DEFAULTS, validate, type Config, type Method } from '../config';
import { AUG_KEYS, augPreset, type AugPresetName } from './augPresets';
import { EVAL_KEYS, METRIC_KEYS, type RunData } from './serialize';
import { cell } from './csv';

/** Arms (settings that differ) on one comparison; each arm may hold several seeds. */
export const MAX_COMPARE = 4;
/** Runs on one comparison: up to MAX_COMPARE arms of up to 6 seeds. */
export const MAX_RUNS = 24;

export type Variant = { kind: 'aug'; preset: AugPresetName } | { kind: 'method'; method: Method } | { kind: 'custom'; changes: Partial<Config> };

/** Variant B of `base`: only the keys the variant is about can change. */
export function applyVariant(base: Config, v: Variant): Config {
  switch (v.kind) {
    case 'aug':
      return validate({ ...base, ...augPreset(v.preset).settings });
    case 'method':
      return validate({ ...base, method: v.method });
    case 'custom': {
      const bad = Object.keys(v.changes).find((k) => !(AUG_KEYS as readonly string[]).includes(k) && k !== 'method');
      if (bad) throw new Error(`A comparison varies augmentation or the method only; "${bad}" is neither`);
      return validate({ ...base, ...v.changes });
    }
  }
}

export function variantLabel(v: Variant): string {
  if (v.kind === 'aug') return augPreset(v.preset).label;
  if (v.kind === 'method') return v.method === 'amdim' ? 'AMDIM' : 'Deep InfoMax';
  return 'custom augmentation';
}

/** Keys on which not all configs agree, in schema order. */
export function differingKeys(configs: Config[]): (keyof Config)[] {
  if (configs.length < 2) return [];
  return CONFIG_KEYS.filter((k) => configs.some((c) => c[k] !== configs[0][k]));
}

export interface FinalScores {
  step: number;
  /** Image-level InfoNCE lower bound per pair (nats, ≤ log B). */
  bound1t5: number;
  bound1t7: number;
  bound5t5: number;
  /** AMDIM's NCE estimate per pair (nats, ≤ log K; not a bound). */
  nceEst1t5: number;
  nceEst1t7: number;
  nceEst5t5: number;
  loss: number;
  probeAcc: number;
  /** Held-out accuracy, same classifiers for all three feature sets (train/evaluate.ts). */
  knnTrained: number;
  knnRandom: number;
  knnPixels: number;
  linTrained: number;
  linRandom: number;
  linPixels: number;
  /** The online probe on held-out images: a live training signal, not comparable with the fitted numbers. */
  probeOnline: number;
  /** Mean over the logged points (the first window includes warm-up, so it is left out when there are more). */
  stepsPerSec: number;
}

const lastOf = (a: number[]) => (a.length ? a[a.length - 1] : NaN);

export function finalScores(r: RunData): FinalScores {
  const m = r.metrics.cols, e = r.evals.cols;
  const sps = m.stepsPerSec.length > 1 ? m.stepsPerSec.slice(1) : m.stepsPerSec;
  return {
    step: r.step,
    bound1t5: lastOf(m.bound1t5), bound1t7: lastOf(m.bound1t7), bound5t5: lastOf(m.bound5t5),
    nceEst1t5: lastOf(m.nceEst1t5), nceEst1t7: lastOf(m.nceEst1t7), nceEst5t5: lastOf(m.nceEst5t5),
    loss: lastOf(m.total), probeAcc: lastOf(m.probeAcc),
    knnTrained: lastOf(e.knnTrained), knnRandom: lastOf(e.knnRandom), knnPixels: lastOf(e.knnPixels),
    linTrained: lastOf(e.linTrained), linRandom: lastOf(e.linRandom), linPixels: lastOf(e.linPixels), probeOnline: lastOf(e.probeOnline),
    stepsPerSec: sps.length ? sps.reduce((a, b) => a + b, 0) / sps.length : NaN,
  };
}

// ------------------------------------------------------------------ link

export interface CompareLink {
  dataset: string;
  /** Full configs, one per run, in display order. */
  configs: Config[];
  names: string[];
}

export const LINK_PREFIX = 'compare=';

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unbase64url(text: string): string {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}

/** Only the keys that differ from DEFAULTS travel, so links stay short and survive new defaults for other keys. */
function sparse(c: Config): Partial<Config> {
  return Object.fromEntries(CONFIG_KEYS.filter((k) => c[k] !== DEFAULTS[k]).map((k) => [k, c[k]]));
}

/** `compare=<base64url JSON>` (no leading '#'). */
export function encodeCompareLink(link: CompareLink): string {
  const body = { v: 1, dataset: link.dataset, runs: link.configs.map((c, i) => ({ name: link.names[i] ?? '', diff: sparse(c) })) };
  return LINK_PREFIX + base64url(JSON.stringify(body));
}

export function isCompareHash(hash: string): boolean {
  return hash.replace(/^#/, '').startsWith(LINK_PREFIX);
}

/** Decode and check a comparison link. Throws an Error that names what is wrong. */
export function decodeCompareLink(hash: string): CompareLink {
  const h = hash.replace(/^#/, '');
  if (!h.startsWith(LINK_PREFIX)) throw new Error('Not a comparison link: it should start with #compare=');
  let body: unknown;
  try {
    body = JSON.parse(unbase64url(h.slice(LINK_PREFIX.length)));
  } catch {
    throw new Error('The comparison link is damaged (its data does not decode); ask for the link again');
  }
  const b = body as { v?: unknown; dataset?: unknown; runs?: unknown };
  if (typeof body !== 'object' || body === null || b.v !== 1) throw new Error('The comparison link has an unknown version');
  if (typeof b.dataset !== 'string') throw new Error('The comparison link does not name its dataset');
  if (!Array.isArray(b.runs) || b.runs.length < 2 || b.runs.length > MAX_RUNS)
    throw new Error(`A comparison link holds 2 to ${MAX_RUNS} runs, this one holds ${Array.isArray(b.runs) ? b.runs.length : 'none'}`);
  const configs: Config[] = [];
  const names: string[] = [];
  b.runs.forEach((r: { name?: unknown; diff?: unknown }, i: number) => {
    try {
      configs.push(validate(r?.diff));
    } catch (e) {
      throw new Error(`Run ${i + 1} of the comparison link: ${(e as Error).message}`);
    }
    names.push(typeof r?.name === 'string' ? r.name.slice(0, 200) : `run ${i + 1}`);
  });
  return { dataset: b.dataset, configs, names };
}

export function sameConfig(a: Config, b: Config): boolean {
  return CONFIG_KEYS.every((k) => a[k] === b[k]);
}

// ------------------------------------------------------------------ CSV

/**
 * One row per (run, step): the logged metrics and, at evaluation steps, the held-out scores; a blank
 * cell where a run has no value at that step. Bounds, NCE estimates and losses are in nats; nceEst* is AMDIM's
 * NCE estimate (not a bound), bound* the image-level InfoNCE lower bound.
 */
export function metricsCsv(runs: RunData[]): string {
  const header = ['run_id', 'run_name', 'step', ...METRIC_KEYS, ...EVAL_KEYS];
  const lines = [header.join(',')];
  for (const r of runs) {
    const byStep = new Map<number, Record<string, number>>();
    const row = (s: number) => byStep.get(s) ?? byStep.set(s, {}).get(s)!;
    r.metrics.step.forEach((s, i) => METRIC_KEYS.forEach((k) => (row(s)[k] = r.metrics.cols[k][i])));
    r.evals.step.forEach((s, i) => EVAL_KEYS.forEach((k) => (row(s)[k] = r.evals.cols[k][i])));
    for (const s of [...byStep.keys()].sort((a, b) => a - b)) {
      const v = byStep.get(s)!;
      lines.push([cell(r.id), cell(r.name), String(s), ...[...METRIC_KEYS, ...EVAL_KEYS].map((k) => (k in v ? cell(v[k]) : ''))].join(','));
    }
  }
  return lines.join('\n') + '\n';
}
