/**
 * The MI chart's columns: the live run (raw and smoothed per pair) merged on one step axis with the
 * reference run's curves ("where this goes"), which are drawn up to a horizon ahead of the live run so
 * the first minute is not squeezed into the left edge of a 3,000-step axis.
 */
import { smooth } from '../charts/smooth';
import type { ReferenceRun } from '../../lib/train/reference';

export const PAIRS = ['mi1t5', 'mi1t7', 'mi5t5'] as const;
type Pair = (typeof PAIRS)[number];

/** How far ahead of the live run the reference is drawn: 3× its steps, at least `min`. */
export function horizon(lastStep: number, min = 300): number {
  return Math.max(min, 3 * lastStep);
}

/** [x, raw×3, smoothed×3, reference×3]: nulls where a series has no point at that step. */
export function miColumns(
  live: { step: readonly number[]; cols: Record<Pair, readonly number[]> },
  ref: ReferenceRun | null,
  scale: number,
  smoothing: number,
  until = horizon(live.step.at(-1) ?? 0),
): (number | null)[][] {
  const refIdx = ref ? ref.step.flatMap((s, i) => (s <= until ? [i] : [])) : [];
  const xs = [...new Set([...live.step, ...refIdx.map((i) => ref!.step[i])])].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (steps: readonly number[], ys: readonly (number | null)[]) => {
    const out: (number | null)[] = new Array(xs.length).fill(null);
    steps.forEach((s, i) => {
      const y = ys[i];
      if (y !== null && Number.isFinite(y)) out[at.get(s)!] = y * scale;
    });
    return out;
  };
  const raw = PAIRS.map((k) => column(live.step, live.cols[k]));
  const smoothed = PAIRS.map((k) => column(live.step, smooth(live.cols[k] as number[], smoothing)));
  const refs = PAIRS.map((k) => (ref ? column(refIdx.map((i) => ref.step[i]), refIdx.map((i) => ref[k][i])) : xs.map(() => null)));
  return [xs, ...raw, ...smoothed, ...refs];
}

/** The latest smoothed value of each pair (what the big numbers show: the same smoothing as the chart). */
export function latestSmoothed(cols: Record<Pair, readonly number[]>, smoothing: number): Record<Pair, number | undefined> {
  const last = (k: Pair) => {
    const s = smooth(cols[k] as number[], smoothing);
    for (let i = s.length - 1; i >= 0; i--) if (s[i] !== null) return s[i]!;
    return undefined;
  };
  return { mi1t5: last('mi1t5'), mi1t7: last('mi1t7'), mi5t5: last('mi5t5') };
}
