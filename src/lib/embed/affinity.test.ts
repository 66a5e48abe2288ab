import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { affinitiesDense, affinitiesSparse, calibrateRow, densify } from './affinity';

describe('perplexity calibration', () => {
  const rng = new Rng(1);
  for (const [scale, perp] of [[1, 5], [100, 30], [1e-3, 10], [1e4, 50]] as const)
    it(`reaches perplexity ${perp} on distances of scale ${scale}`, () => {
      const d = Float64Array.from({ length: 200 }, () => scale * rng.next() ** 2);
      const out = new Float64Array(200);
      calibrateRow(d, 200, perp, out);
      // Recompute the perplexity from the probabilities themselves, independent of the search's bookkeeping.
      let H = 0, sum = 0;
      for (const p of out) {
        sum += p;
        if (p > 0) H -= p * Math.log(p);
      }
      expect(sum).toBeCloseTo(1, 12);
      expect(Math.abs(Math.exp(H) - perp)).toBeLessThan(1e-3);
    });
});

describe('affinities', () => {
  const rng = new Rng(2);
  const n = 80, dim = 6;
  const x = Float32Array.from({ length: n * dim }, () => rng.normal());

  it('dense P is symmetric, sums to 1, zero diagonal', () => {
    const P = affinitiesDense(x, n, dim, 10);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      expect(P[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        sum += P[i * n + j];
        expect(P[i * n + j]).toBe(P[j * n + i]);
      }
    }
    expect(sum).toBeCloseTo(1, 10);
  });

  it('sparse P is symmetric, sums to 1 and keeps the dense P mass', () => {
    const S = densify(affinitiesSparse(x, n, dim, 10));
    const P = affinitiesDense(x, n, dim, 10);
    let sum = 0, kept = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        sum += S[i * n + j];
        expect(S[i * n + j]).toBeCloseTo(S[j * n + i], 15);
        if (S[i * n + j] > 0) kept += P[i * n + j];
      }
    expect(sum).toBeCloseTo(1, 10);
    expect(kept).toBeGreaterThan(0.95); // 3·perplexity neighbours hold nearly all of the Gaussian mass
  });

  it('rejects a non-positive perplexity', () => {
    expect(() => affinitiesDense(x, n, dim, 0)).toThrow(/perplexity/);
  });
});
