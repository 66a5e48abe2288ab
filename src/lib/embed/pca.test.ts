import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { jacobiEigen, pca } from './pca';

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

/** Sample covariance (n − 1), written out: the reference the components are checked against. */
function covariance(x: Float32Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += x[i * dim + d] / n;
  const C = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < dim; a++) {
      const da = x[i * dim + a] - mean[a];
      for (let b = 0; b < dim; b++) C[a * dim + b] += (da * (x[i * dim + b] - mean[b])) / (n - 1);
    }
  return C;
}

const matVec = (C: Float64Array, v: ArrayLike<number>, dim: number) =>
  Float64Array.from({ length: dim }, (_, a) => {
    let s = 0;
    for (let b = 0; b < dim; b++) s += C[a * dim + b] * v[b];
    return s;
  });

/** Largest eigenvalue of a symmetric PSD matrix by plain power iteration (independent of pca.ts). */
function topEigenvalue(C: Float64Array, dim: number): number {
  let v = Float64Array.from({ length: dim }, (_, i) => Math.sin(i + 1));
  let lambda = 0;
  for (let it = 0; it < 3000; it++) {
    const w = matVec(C, v, dim);
    const norm = Math.hypot(...w);
    if (norm === 0) return 0;
    lambda = norm / Math.hypot(...v);
    v = w.map((x) => x / norm);
  }
  return lambda;
}

describe('pca', () => {
  for (const dim of [8, 300])
    it(`finds the top eigenpairs of the covariance: C v = λ v, and nothing larger is left (dim ${dim})`, () => {
      const n = dim === 8 ? 200 : 120;
      const x = stretched(n, dim, dim);
      const fast = pca(x, n, dim, 3, { seed: 1 });
      const C = covariance(x, n, dim);
      const scale = topEigenvalue(C, dim);
      const deflated = C.slice();
      for (let r = 0; r < 3; r++) {
        const v = fast.components.subarray(r * dim, (r + 1) * dim);
        let norm = 0;
        for (let d = 0; d < dim; d++) norm += v[d] ** 2;
        expect(norm).toBeCloseTo(1, 8);
        // The eigen-equation, against the written-out covariance.
        const Cv = matVec(C, v, dim);
        let residual = 0;
        for (let d = 0; d < dim; d++) residual += (Cv[d] - fast.variance[r] * v[d]) ** 2;
        expect(Math.sqrt(residual) / scale).toBeLessThan(1e-4);
        for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) deflated[a * dim + b] -= fast.variance[r] * v[a] * v[b];
      }
      expect(fast.variance[0]).toBeCloseTo(scale, 2);
      // With the three components removed, no direction has more variance than the third: they are the top three.
      expect(topEigenvalue(deflated, dim)).toBeLessThanOrEqual(fast.variance[2] * (1 + 1e-6));
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
