/**
 * Seed-to-seed noise, made visible: summaries of a metric over the seeds of one arm, mean-and-band curves
 * over several runs, and a verdict in words on whether two arms differ by more than their seeds do.
 * Pure functions over plain numbers (the page and the tests share them).
 */
import type { Curve } from './overlay';

export interface Summary {
  /** Finite values counted (non-finite ones, e.g. a metric not computed yet, are left out). */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN with fewer than two values. */
  sd: number;
  min: number;
  max: number;
}

/** One pass (Welford's update), so a long column is read once and the variance does not cancel. */
export function summarize(values: ArrayLike<number>): Summary {
  let n = 0, mean = 0, m2 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, min: NaN, max: NaN };
  return { n, mean, sd: n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN, min, max };
}

export type BandMode = 'minmax' | 'sd';

/** Columnar mean and band of several runs' curves on the union of their steps (null where no run logged). */
export interface Band {
  step: number[];
  mean: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  /** Runs with a finite value at each step. */
  n: number[];
}

/**
 * Mean of the curves at each step, with a band of min–max or ±1 s.d. (a single value gives a band of
 * zero width). Values are multiplied by `scale` (nats → bits, fraction → %).
 */
export function band(curves: Curve[], mode: BandMode = 'minmax', scale = 1): Band {
  const steps = [...new Set(curves.flatMap((c) => c.step))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const cols: number[][] = steps.map(() => []);
  for (const c of curves) c.step.forEach((s, i) => cols[at.get(s)!].push(c.value[i] * scale));
  const out: Band = { step: steps, mean: [], lo: [], hi: [], n: [] };
  for (const vals of cols) {
    const s = summarize(vals);
    out.n.push(s.n);
    if (s.n === 0) {
      out.mean.push(null), out.lo.push(null), out.hi.push(null);
      continue;
    }
    const half = mode === 'sd' ? (s.n > 1 ? s.sd : 0) : NaN;
    out.mean.push(s.mean);
    out.lo.push(mode === 'sd' ? s.mean - half : s.min);
    out.hi.push(mode === 'sd' ? s.mean + half : s.max);
  }
  return out;
}

export type VerdictKind = 'one-seed' | 'missing' | 'within' | 'unclear' | 'exceeds';

export interface Verdict {
  kind: VerdictKind;
  /** Mean of b minus mean of a. */
  diff: number;
  /** Pooled seed-to-seed standard deviation of the two arms. */
  spread: number;
  /** |diff| / spread (NaN when there is no spread to compare with). */
  ratio: number;
  /** Whether the seeds' ranges [min, max] of the two arms overlap. */
  overlap: boolean;
  /** One sentence a user can read. */
  text: string;
}

/**
 * Is the difference between arms a and b larger than the seed-to-seed spread? "Larger" means both that
 * |Δ mean| exceeds twice the pooled s.d. and that no seed of one arm falls inside the other's range;
 * "within" means |Δ| is at most one pooled s.d. or the ranges overlap so that one arm's mean lies inside
 * the other's range. Anything else is called unclear. One seed per arm measures no spread, so it cannot tell.
 */
export function verdict(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  what = 'the difference',
  fmt: (v: number) => string = (v) => v.toPrecision(3),
  /** Formats the spread (a size, no sign); defaults to `fmt`. */
  fmtSpread: (v: number) => string = fmt,
): Verdict {
  const sa = summarize(a), sb = summarize(b);
  const diff = sb.mean - sa.mean;
  if (sa.n === 0 || sb.n === 0) return { kind: 'missing', diff: NaN, spread: NaN, ratio: NaN, overlap: true, text: `Nothing to compare for ${what}: a run has no value (it stopped before it was measured, or the data have no labels).` };
  if (sa.n < 2 || sb.n < 2) {
    return {
      kind: 'one-seed', diff, spread: NaN, ratio: NaN, overlap: true,
      text: `Cannot tell: with one seed per arm there is no measure of seed-to-seed noise, so ${what} (${fmt(diff)}) may be noise. Run 2 or more seeds per arm.`,
    };
  }
  const spread = Math.sqrt(((sa.n - 1) * sa.sd ** 2 + (sb.n - 1) * sb.sd ** 2) / (sa.n + sb.n - 2));
  const ratio = spread > 0 ? Math.abs(diff) / spread : diff === 0 ? 0 : Infinity;
  const overlap = sa.max >= sb.min && sb.max >= sa.min;
  const meanInside = (sa.mean >= sb.min && sa.mean <= sb.max) || (sb.mean >= sa.min && sb.mean <= sa.max);
  const seeds = `${sa.n} and ${sb.n} seeds`;
  const spreadText = `seed-to-seed s.d. ${fmtSpread(spread)}`;
  if (ratio > 2 && !overlap)
    return { kind: 'exceeds', diff, spread, ratio, overlap, text: `${cap(what)} (${fmt(diff)}) is larger than the seed-to-seed spread: ${ratio.toFixed(1)}× the ${spreadText}, and no seeds overlap (${seeds}).` };
  if (ratio <= 1 || meanInside)
    return { kind: 'within', diff, spread, ratio, overlap, text: `${cap(what)} (${fmt(diff)}) is within the seed-to-seed spread (${spreadText}, ${seeds}): these runs cannot tell the settings apart.` };
  return { kind: 'unclear', diff, spread, ratio, overlap, text: `${cap(what)} (${fmt(diff)}) is ${ratio.toFixed(1)}× the ${spreadText} but the seeds' ranges overlap (${seeds}): not conclusive; more seeds would tell.` };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "12.3 ± 1.4" (or just the mean with one value, "—" with none). */
export function meanSd(s: Summary, fmt: (v: number) => string): string {
  if (s.n === 0) return '—';
  return s.n > 1 ? `${fmt(s.mean)} ± ${fmt(s.sd)}` : fmt(s.mean);
}
