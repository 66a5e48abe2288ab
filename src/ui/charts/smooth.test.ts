import { describe, expect, it } from 'vitest';
import { smooth } from './smooth';

/** The obvious definition: the debiased EMA is a weighted mean of all finite points so far. */
function reference(values: number[], w: number): (number | null)[] {
  const finite: number[] = [];
  return values.map((v) => {
    if (!Number.isFinite(v)) return null;
    finite.push(v);
    let num = 0, den = 0;
    finite.forEach((x, k) => {
      const wt = Math.pow(w, finite.length - 1 - k);
      num += wt * x;
      den += wt;
    });
    return num / den;
  });
}

describe('smooth', () => {
  it('matches a weighted-mean reference, skipping non-finite values', () => {
    const v = [1, 3, NaN, 2, 8, -1, Infinity, 4];
    const got = smooth(v, 0.6), want = reference(v, 0.6);
    got.forEach((g, i) => (want[i] === null ? expect(g).toBeNull() : expect(g).toBeCloseTo(want[i]!, 12)));
  });
  it('weight 0 is the identity and a constant stays constant', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    for (const s of smooth([5, 5, 5, 5], 0.9)) expect(s).toBeCloseTo(5, 12);
  });
});
