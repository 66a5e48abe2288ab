import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { gaussianClusters } from './clusters';
import { centroidsOf, defaultK, kmeans } from './kmeans';

/** The definition, checked the slow way: every row sits with its nearest centroid, every centroid is its rows' mean. */
function isLloydFixedPoint(x: Float32Array, n: number, dim: number, assign: Int32Array, c: Float64Array, k: number): boolean {
  for (let i = 0; i < n; i++) {
    const d = Array.from({ length: k }, (_, j) => Array.from({ length: dim }, (_, t) => (x[i * dim + t] - c[j * dim + t]) ** 2).reduce((a, b) => a + b, 0));
    if (d[assign[i]] > Math.min(...d) + 1e-9) return false;
  }
  for (let j = 0; j < k; j++) {
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => assign[i] === j);
    for (let t = 0; t < dim; t++) {
      const mean = rows.reduce((s, i) => s + x[i * dim + t], 0) / rows.length;
      if (Math.abs(mean - c[j * dim + t]) > 1e-6) return false;
    }
  }
  return true;
}

describe('k-means with k-means++ seeding', () => {
  it('recovers well-separated clusters exactly (each found cluster is one true cluster)', () => {
    const { data, labels } = gaussianClusters(300, 8, 5, 3);
    const r = kmeans(data, 300, 8, 5, { seed: 1 });
    for (let j = 0; j < 5; j++) {
      const members = new Set(Array.from(labels).filter((_, i) => r.assign[i] === j));
      expect(members.size).toBe(1);
    }
    expect(new Set(r.assign).size).toBe(5);
  });

  it('ends at a fixed point of Lloyd’s iteration, and is reproducible from the seed', () => {
    const rng = new Rng(9);
    const n = 120, dim = 3, k = 4;
    const x = Float32Array.from({ length: n * dim }, () => rng.normal());
    const a = kmeans(x, n, dim, k, { seed: 4 });
    expect(isLloydFixedPoint(x, n, dim, a.assign, a.centroids, k)).toBe(true);
    expect(kmeans(x, n, dim, k, { seed: 4 }).assign).toEqual(a.assign);
    // inertia is what it says
    let s = 0;
    for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) s += (x[i * dim + t] - a.centroids[a.assign[i] * dim + t]) ** 2;
    expect(a.inertia).toBeCloseTo(s, 6);
  });

  it('a warm start from the previous clusters keeps their numbers after the rows move a little', () => {
    const { data } = gaussianClusters(200, 6, 4, 5);
    const first = kmeans(data, 200, 6, 4, { seed: 2 });
    const moved = data.map((v, i) => v + 0.05 * Math.sin(i));
    const init = centroidsOf(moved, 200, 6, first.assign, 4)!;
    const second = kmeans(moved, 200, 6, 4, { seed: 99, init });
    expect(second.assign).toEqual(first.assign);
  });

  it('copes with fewer rows than clusters and with duplicate rows', () => {
    const x = new Float32Array([1, 1, 1, 1, 1, 1]);
    const r = kmeans(x, 3, 2, 5, { seed: 1 });
    expect(r.k).toBe(3);
    expect(r.assign.every((a) => a >= 0 && a < 3)).toBe(true);
    expect(defaultK(8)).toBe(2);
    expect(defaultK(200)).toBe(10);
    expect(defaultK(50)).toBe(5);
  });
});
