/**
 * Settings and readings of the MI bounds lab, kept free of tfjs so the page can validate a form and type
 * its messages without pulling the tensor library into the main bundle.
 */
import type { CriticKind } from './critic';
import { DEFAULT_STAIRCASE } from './gaussian';

export interface LabSettings {
  seed: number;
  /** Dimension d of x and y. */
  dim: number;
  /** K: pairs per batch (K − 1 negatives per positive). */
  batchSize: number;
  critic: CriticKind;
  hidden: number;
  layers: number;
  embed: number;
  lr: number;
  stepsPerLevel: number;
  /** True MI of each level, nats. */
  levels: number[];
}

export const LAB_DEFAULTS: Readonly<LabSettings> = Object.freeze({
  seed: 1,
  dim: 20,
  batchSize: 64,
  critic: 'separable',
  // Small enough for ~100 ms a step with four critics on the plain-JS CPU backend.
  hidden: 64,
  layers: 1,
  embed: 32,
  lr: 2e-3,
  stepsPerLevel: 400,
  levels: [...DEFAULT_STAIRCASE],
});

export const LIMITS: Record<'seed' | 'dim' | 'batchSize' | 'hidden' | 'layers' | 'embed' | 'stepsPerLevel', [number, number]> = {
  seed: [0, 2 ** 31 - 1],
  dim: [1, 256],
  batchSize: [2, 512],
  hidden: [1, 1024],
  layers: [1, 4],
  embed: [1, 512],
  stepsPerLevel: [1, 1_000_000],
};

/** Defaults overridden by `over`; throws a RangeError naming the first bad key. */
export function labSettings(over: Partial<LabSettings> = {}): LabSettings {
  const s: LabSettings = { ...LAB_DEFAULTS, levels: [...LAB_DEFAULTS.levels], ...over };
  for (const key of Object.keys(over)) if (!(key in LAB_DEFAULTS)) throw new RangeError(`bounds lab: unknown setting '${key}'`);
  for (const [key, [lo, hi]] of Object.entries(LIMITS)) {
    const v = s[key as keyof typeof LIMITS];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`bounds lab: ${key} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  if (s.critic !== 'separable' && s.critic !== 'concat') throw new RangeError(`bounds lab: critic must be 'separable' or 'concat', got ${String(s.critic)}`);
  if (!(s.lr > 0 && s.lr <= 1)) throw new RangeError(`bounds lab: lr must be in (0, 1], got ${s.lr}`);
  if (!Array.isArray(s.levels) || s.levels.length === 0) throw new RangeError('bounds lab: levels must list at least one MI value');
  for (const m of s.levels) if (!(m >= 0 && m <= 100)) throw new RangeError(`bounds lab: each level must be an MI in [0, 100] nats, got ${m}`);
  return s;
}

/** One step's readings, nats (except `jsRaw`, the JS objective itself). */
export interface LabPoint {
  step: number;
  trueMi: number;
  batchSize: number;
  logK: number;
  infonce: number;
  nwj: number;
  dv: number;
  /** MI reading of the JS-trained critic (NWJ on T + 1). */
  js: number;
  /** The JS objective value (no log 4 shift); not an MI in nats. */
  jsRaw: number;
}
