import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { affinitiesDense, affinitiesSparse, densify } from './affinity';
import { gaussianClusters } from './clusters';
import { trustworthiness } from './trustworthiness';
import { gradientBH, gradientExact, initTsne, klDivergence, tsne, tsneStep } from './tsne';

describe('t-SNE gradient', () => {
  const rng = new Rng(4);
  const n = 25, dim = 5;
  const x = Float32Array.from({ length: n * dim }, () => rng.normal());
  const P = affinitiesDense(x, n, dim, 5);

  for (const D of [2, 3] as const)
    it(`matches central finite differences of KL (${D}-D)`, () => {
      const Y = Float64Array.from({ length: n * D }, () => rng.normal());
      const grad = new Float64Array(n * D);
      gradientExact(P, Y, n, D, 1, grad);
      const h = 1e-5;
      for (let t = 0; t < n * D; t += 3) {
        const yp = Y.slice(), ym = Y.slice();
        yp[t] += h;
        ym[t] -= h;
        const fd = (klDivergence(P, yp, n, D) - klDivergence(P, ym, n, D)) / (2 * h);
        expect(Math.abs(grad[t] - fd)).toBeLessThan(1e-6 + 1e-5 * Math.abs(fd));
      }
    });

  for (const D of [2, 3] as const)
    it(`Barnes–Hut equals the exact gradient at θ = 0 and is close at θ = 0.5 (${D}-D)`, () => {
      const S = affinitiesSparse(x, n, dim, 5);
      const Y = Float64Array.from({ length: n * D }, () => 3 * rng.normal());
      Y.set(Y.subarray(0, D), D); // a duplicate point exercises the shared-leaf path
      const exact = new Float64Array(n * D), bh0 = new Float64Array(n * D), bh5 = new Float64Array(n * D);
      const Ze = gradientExact(densify(S), Y, n, D, 12, exact);
      const Z0 = gradientBH(S, Y, n, D, 12, 0, bh0);
      gradientBH(S, Y, n, D, 12, 0.5, bh5);
      expect(Z0).toBeCloseTo(Ze, 9);
      let err = 0, norm = 0;
      for (let t = 0; t < n * D; t++) {
        expect(bh0[t]).toBeCloseTo(exact[t], 9);
        err += (bh5[t] - exact[t]) ** 2;
        norm += exact[t] ** 2;
      }
      expect(Math.sqrt(err / norm)).toBeLessThan(0.05);
    });
});

describe('t-SNE embedding', () => {
  const n = 300, dim = 20;
  const { data } = gaussianClusters(n, dim, 5, 7, 10);

  for (const method of ['exact', 'barnes-hut'] as const)
    it(`keeps well-separated clusters (${method}, trustworthiness ≥ 0.95 at k = 10)`, () => {
      const Y = tsne(data, n, dim, { perplexity: 20, iterations: 400, seed: 1, method });
      expect(Y.length).toBe(n * 2);
      expect(trustworthiness(data, Y, n, dim, 2, 10)).toBeGreaterThanOrEqual(0.95);
    });

  it('is deterministic for a seed and lowers KL as it runs', () => {
    const a = tsne(data, n, dim, { iterations: 60, seed: 3, method: 'barnes-hut', init: 'random' });
    const b = tsne(data, n, dim, { iterations: 60, seed: 3, method: 'barnes-hut', init: 'random' });
    expect(Array.from(a)).toEqual(Array.from(b));
    const s = initTsne(data, n, dim, { iterations: 500, outDim: 3, method: 'barnes-hut' });
    tsneStep(s, 300);
    const mid = klDivergence(s.P, s.Y, n, 3);
    tsneStep(s, 200);
    expect(s.iteration).toBe(500);
    expect(tsneStep(s, 10)).toBe(0);
    expect(klDivergence(s.P, s.Y, n, 3)).toBeLessThan(mid);
  });

  it('continues from a previous layout without jumping', () => {
    const first = tsne(data, n, dim, { iterations: 300, seed: 2, method: 'barnes-hut' });
    const s = initTsne(data, n, dim, { iterations: 5, method: 'barnes-hut', init: first });
    expect(s.exaggerationIters).toBe(0);
    tsneStep(s, 5);
    let moved = 0, spread = 0;
    for (let t = 0; t < first.length; t++) {
      moved += (s.Y[t] - first[t]) ** 2;
      spread += first[t] ** 2;
    }
    expect(Math.sqrt(moved / spread)).toBeLessThan(0.05);
  });

  it('names what was wrong with bad input', () => {
    expect(() => tsne(data, 1, dim)).toThrow(/at least 2/);
    expect(() => tsne(data, n, dim, { outDim: 4 as 2 })).toThrow(/outDim/);
    expect(() => tsne(data, n, dim, { init: new Float32Array(3) })).toThrow(/init/);
  });
});
