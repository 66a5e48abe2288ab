import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { jacobiEigen, pca } from './pca';

/** Slow reference: full covariance, all eigenpairs by Jacobi. */
function refPca(x: Float32Array, n: number, dim: number) {
  const mean = Array.from({ length: dim }, (_, d) => Array.from({ length: n }, (_, i) => x[i * dim + d]).reduce((a, b) => a + b, 0) / n);
  const C = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < dim; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (x[i * dim + a] - mean[a]) * (x[i * dim + b] - mean[b]);
      C[a * dim + b] = s / (n - 1);
    }
  return jacobiEigen(C, dim);
}

/** Data with clearly separated variances along random orthogonal-ish directions. */
function stretched(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] = rng.normal() * (dim - d) + 0.5 * d;
  // mix coordinates so the axes are not the basis vectors
  for (let i = 0; i < n; i++) for (let d = 1; d < dim; d++) x[i * dim + d] += 0.3 * x[i * dim + d - 1];
  return x;
}

describe('jacobiEigen', () => {
  it('satisfies A v = λ v', () => {
    const A = new Float64Array([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 1]);
    const { values, vectors } = jacobiEigen(A, 3);
    for (let r = 0; r < 3; r++)
      for (let a = 0; a < 3; a++) {
        let s = 0;
        for (let b = 0; b < 3; b++) s += A[a * 3 + b] * vectors[r * 3 + b];
        expect(s).toBeCloseTo(values[r] * vectors[r * 3 + a], 10);
      }
    expect(values[0]).toBeGreaterThan(values[1]);
  });
});

describe('pca', () => {
  for (const dim of [8, 300])
    it(`matches the full eigen-decomposition (dim ${dim})`, () => {
      const n = dim === 8 ? 200 : 120;
      const x = stretched(n, dim, dim);
      const fast = pca(x, n, dim, 3, { seed: 1 });
      const ref = dim === 8 ? refPca(x, n, dim) : null;
      for (let r = 0; r < 3; r++) {
        let norm = 0;
        for (let d = 0; d < dim; d++) norm += fast.components[r * dim + d] ** 2;
        expect(norm).toBeCloseTo(1, 10);
        if (!ref) continue;
        expect(fast.variance[r]).toBeCloseTo(ref.values[r], 6);
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += fast.components[r * dim + d] * ref.vectors[r * dim + d];
        expect(Math.abs(dot)).toBeCloseTo(1, 8);
      }
      // Projection variance equals the reported variance.
      for (let r = 0; r < 3; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += fast.projection[i * 3 + r] ** 2;
        expect(s / (n - 1)).toBeCloseTo(fast.variance[r], 2);
      }
      expect(fast.variance[0]).toBeGreaterThanOrEqual(fast.variance[1]);
    });

  it('is deterministic, with fixed signs, and checks k', () => {
    const x = stretched(50, 5, 9);
    expect(Array.from(pca(x, 50, 5, 2).projection)).toEqual(Array.from(pca(x, 50, 5, 2).projection));
    const a = pca(x, 50, 5, 2, { seed: 1 }).projection, b = pca(x, 50, 5, 2, { seed: 7 }).projection;
    for (let t = 0; t < a.length; t++) expect(a[t]).toBeCloseTo(b[t], 4); // sign convention removes the seed's ±
    expect(() => pca(x, 50, 5, 6)).toThrow(/k/);
  });
});
