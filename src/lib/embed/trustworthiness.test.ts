import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { trustworthiness } from './trustworthiness';

/** Slow reference: the textbook formula with full sorts of every row ((distance, index) order). */
function naiveTrust(high: Float32Array, low: Float32Array, n: number, dh: number, dl: number, k: number): number {
  const order = (x: Float32Array, dim: number, i: number) =>
    Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => ({ j, d: Array.from({ length: dim }, (_, d) => (x[i * dim + d] - x[j * dim + d]) ** 2).reduce((a, b) => a + b, 0) }))
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .map((e) => e.j);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const h = order(high, dh, i), l = order(low, dl, i).slice(0, k);
    const rank = new Map(h.map((j, r) => [j, r + 1]));
    const hk = new Set(h.slice(0, k));
    for (const j of l) if (!hk.has(j)) sum += rank.get(j)! - k;
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * sum;
}

describe('trustworthiness', () => {
  const rng = new Rng(5);
  const n = 90, dh = 6;
  const high = Float32Array.from({ length: n * dh }, () => rng.normal());

  it('matches the naive formula on a random projection', () => {
    const low = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) (low[i * 2] = high[i * dh] + 0.3 * rng.normal()), (low[i * 2 + 1] = high[i * dh + 1]);
    for (const k of [1, 5, 10]) expect(trustworthiness(high, low, n, dh, 2, k)).toBeCloseTo(naiveTrust(high, low, n, dh, 2, k), 12);
  });

  it('handles exact ties the same way as the reference', () => {
    const gridHigh = Float32Array.from({ length: 40 * 2 }, (_, t) => Math.floor(t / 7) % 3);
    const gridLow = Float32Array.from({ length: 40 * 2 }, (_, t) => (t * 7) % 5);
    expect(trustworthiness(gridHigh, gridLow, 40, 2, 2, 4)).toBeCloseTo(naiveTrust(gridHigh, gridLow, 40, 2, 2, 4), 12);
  });

  it('is 1 for an isometric copy and lower for a shuffled one', () => {
    expect(trustworthiness(high, high, n, dh, dh, 10)).toBe(1);
    const shuffled = new Float32Array(n * 2);
    for (let t = 0; t < shuffled.length; t++) shuffled[t] = rng.normal();
    const t = trustworthiness(high, shuffled, n, dh, 2, 10);
    expect(t).toBeLessThan(0.7);
    expect(t).toBeCloseTo(naiveTrust(high, shuffled, n, dh, 2, 10), 12);
  });

  it('a sampled estimate stays close to the full value', () => {
    const low = Float32Array.from({ length: n * 2 }, (_, t) => high[Math.floor(t / 2) * dh + (t % 2)]);
    const full = trustworthiness(high, low, n, dh, 2, 5);
    expect(Math.abs(trustworthiness(high, low, n, dh, 2, 5, { sample: 60, seed: 1 }) - full)).toBeLessThan(0.05);
  });

  it('rejects a k too large for n', () => {
    expect(() => trustworthiness(high, high, 10, dh, dh, 7)).toThrow(/k/);
  });
});
