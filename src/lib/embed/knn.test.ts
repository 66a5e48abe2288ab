import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { gaussianClusters } from './clusters';
import { kNearest, knnAccuracy, normalizeRows } from './knn';

/** Slow reference: full sort of every row by (score, index). */
function naiveNeighbors(x: Float32Array, n: number, dim: number, k: number, metric: 'cosine' | 'euclidean'): number[][] {
  const norm = (i: number) => Math.sqrt(Array.from({ length: dim }, (_, d) => x[i * dim + d] ** 2).reduce((a, b) => a + b, 0));
  return Array.from({ length: n }, (_, i) => {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const score = (j: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += metric === 'cosine' ? x[i * dim + d] * x[j * dim + d] : -((x[i * dim + d] - x[j * dim + d]) ** 2);
      return metric === 'cosine' ? s / (norm(i) * norm(j)) : s;
    };
    return others.map((j) => ({ j, s: score(j) })).sort((a, b) => b.s - a.s || a.j - b.j).slice(0, k).map((e) => e.j);
  });
}

function naiveAccuracy(x: Float32Array, n: number, dim: number, labels: Int32Array, k: number): number {
  const nb = naiveNeighbors(x, n, dim, k, 'cosine');
  const cos = (i: number, j: number) => {
    let s = 0, a = 0, b = 0;
    for (let d = 0; d < dim; d++) (s += x[i * dim + d] * x[j * dim + d]), (a += x[i * dim + d] ** 2), (b += x[j * dim + d] ** 2);
    return s / Math.sqrt(a * b);
  };
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const votes = new Map<number, { v: number; w: number }>();
    for (const j of nb[i]) {
      const e = votes.get(labels[j]) ?? { v: 0, w: 0 };
      votes.set(labels[j], { v: e.v + 1, w: e.w + cos(i, j) });
    }
    const ranked = [...votes].sort((a, b) => b[1].v - a[1].v || b[1].w - a[1].w || a[0] - b[0]);
    if (ranked[0][0] === labels[i]) ok++;
  }
  return ok / n;
}

describe('kNearest', () => {
  const rng = new Rng(3);
  const n = 61, dim = 5; // not a multiple of the kernel's 4-row block
  const x = Float32Array.from({ length: n * dim }, () => rng.normal());
  for (const metric of ['cosine', 'euclidean'] as const)
    it(`matches a full sort (${metric})`, () => {
      const nb = kNearest(x, n, dim, 7, metric);
      const ref = naiveNeighbors(x, n, dim, 7, metric);
      for (let i = 0; i < n; i++) expect(Array.from(nb.indices.subarray(i * 7, i * 7 + 7))).toEqual(ref[i]);
    });

  it('breaks exact ties by the smaller index', () => {
    const pts = new Float32Array([0, 0, 1, 0, -1, 0, 0, 1, 0, -1]); // centre plus four at distance 1
    const nb = kNearest(pts, 5, 2, 2, 'euclidean');
    expect(Array.from(nb.indices.subarray(0, 2))).toEqual([1, 2]);
    expect(nb.values[0]).toBeCloseTo(1, 6);
  });
});

describe('knnAccuracy', () => {
  it('matches a naive majority vote on noisy clusters', () => {
    const { data, labels } = gaussianClusters(150, 8, 3, 1, 0.8);
    const fast = knnAccuracy(data, 150, 8, labels, 5);
    expect(fast).toBe(naiveAccuracy(data, 150, 8, labels, 5));
    expect(fast).toBeGreaterThan(0.4);
  });

  it('is 1 on separated clusters and near chance on noise', () => {
    const sep = gaussianClusters(200, 16, 4, 2, 10);
    expect(knnAccuracy(sep.data, 200, 16, sep.labels, 20)).toBe(1);
    const rng = new Rng(9);
    const noise = Float32Array.from({ length: 400 * 16 }, () => rng.normal());
    const labels = Int32Array.from({ length: 400 }, (_, i) => i % 4);
    expect(knnAccuracy(noise, 400, 16, labels, 20)).toBeLessThan(0.4);
  });

  it('ignores unlabelled points and rejects mismatched labels', () => {
    const sep = gaussianClusters(40, 4, 2, 5, 10);
    const labels = sep.labels.slice();
    labels[0] = -1;
    expect(knnAccuracy(sep.data, 40, 4, labels, 5)).toBe(1);
    expect(() => knnAccuracy(sep.data, 40, 4, labels.subarray(1), 5)).toThrow(/labels/);
  });
});

describe('normalizeRows', () => {
  it('scales each row to unit length against a float64 loop, into a new array, a float64 array or in place', () => {
    const rng = new Rng(4);
    const n = 7, dim = 5;
    const x = Float32Array.from({ length: n * dim }, () => rng.normal());
    x.fill(0, 3 * dim, 4 * dim); // a zero row stays zero
    const ref = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[i * dim + d] * x[i * dim + d];
      for (let d = 0; d < dim; d++) ref[i * dim + d] = s > 0 ? x[i * dim + d] / Math.sqrt(s) : 0;
    }
    const fresh = normalizeRows(x, n, dim);
    const wide = normalizeRows(x, n, dim, new Float64Array(n * dim));
    const inPlace = x.slice();
    expect(normalizeRows(inPlace, n, dim, inPlace)).toBe(inPlace);
    for (let t = 0; t < n * dim; t++) {
      expect(fresh[t]).toBeCloseTo(ref[t], 6);
      expect(wide[t]).toBeCloseTo(ref[t], 6);
      expect(inPlace[t]).toBeCloseTo(ref[t], 6);
    }
    expect(Array.from(inPlace.subarray(3 * dim, 4 * dim))).toEqual([0, 0, 0, 0, 0]);
  });
});
