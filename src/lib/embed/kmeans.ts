/**
 * k-means (Lloyd's algorithm) with seeded k-means++ initialisation (Arthur & Vassilvitskii 2007), used to
 * colour a map of unlabeled photos by cluster. Hand-written: it is 80 lines, runs on a few thousand rows
 * in a worker, and must take its randomness from the config seed, which the npm k-means packages do not.
 * Run it on unit-length rows so the clusters follow the cosine geometry the map and the kNN use.
 * A warm start (`init` centroids) keeps cluster numbers, and so the names a user gave them, stable as
 * training moves the features.
 */
import { Rng } from '../rng';

export interface KMeansResult {
  k: number;
  /** Cluster of each row. */
  assign: Int32Array;
  /** (k, dim) centroids. */
  centroids: Float64Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  iterations: number;
}

/** A default number of clusters for n photos: about √(n/2), from 2 to 10 (one colour each in the palette). */
export function defaultK(n: number): number {
  return Math.max(2, Math.min(10, Math.round(Math.sqrt(n / 2)), n));
}

function dist2(x: Float32Array, i: number, c: Float64Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const v = x[i * dim + d] - c[j * dim + d];
    s += v * v;
  }
  return s;
}

/** k-means++ seeding: each next centre drawn with probability ∝ squared distance to the nearest chosen one. */
export function kmeansPlusPlus(x: Float32Array, n: number, dim: number, k: number, rng: Rng): Float64Array {
  const c = new Float64Array(k * dim);
  const first = rng.int(n);
  for (let d = 0; d < dim; d++) c[d] = x[first * dim + d];
  const near = new Float64Array(n).fill(Infinity);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      near[i] = Math.min(near[i], dist2(x, i, c, j - 1, dim));
      total += near[i];
    }
    let pick = n - 1;
    if (total > 0) {
      let r = rng.next() * total;
      for (let i = 0; i < n; i++) if ((r -= near[i]) < 0) { pick = i; break; }
    } else pick = rng.int(n); // every row sits on a centre already: duplicates
    for (let d = 0; d < dim; d++) c[j * dim + d] = x[pick * dim + d];
  }
  return c;
}

export function kmeans(x: Float32Array, n: number, dim: number, k: number, opts: { seed: number; init?: Float64Array; maxIter?: number }): KMeansResult {
  if (n < 1) throw new RangeError('kmeans: no rows');
  k = Math.max(1, Math.min(k, n));
  const rng = new Rng(opts.seed);
  const c = opts.init && opts.init.length === k * dim ? opts.init.slice() : kmeansPlusPlus(x, n, dim, k, rng);
  const assign = new Int32Array(n).fill(-1);
  const maxIter = opts.maxIter ?? 100;
  let it = 0, inertia = 0;
  for (; it < maxIter; it++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0, bd = Infinity;
      for (let j = 0; j < k; j++) {
        const v = dist2(x, i, c, j, dim);
        if (v < bd) (bd = v), (best = j);
      }
      inertia += bd;
      if (assign[i] !== best) (assign[i] = best), changed++;
    }
    if (changed === 0) break;
    const count = new Int32Array(k);
    c.fill(0);
    for (let i = 0; i < n; i++) {
      count[assign[i]]++;
      for (let d = 0; d < dim; d++) c[assign[i] * dim + d] += x[i * dim + d];
    }
    for (let j = 0; j < k; j++) {
      if (count[j] === 0) {
        // an empty cluster takes the row farthest from its centre, so k clusters stay k
        let far = 0, fd = -1;
        for (let i = 0; i < n; i++) {
          const v = dist2(x, i, c, assign[i], dim) / Math.max(1, count[assign[i]] ** 2);
          if (v > fd) (fd = v), (far = i);
        }
        for (let d = 0; d < dim; d++) c[j * dim + d] = x[far * dim + d];
      } else for (let d = 0; d < dim; d++) c[j * dim + d] /= count[j];
    }
  }
  return { k, assign, centroids: c, inertia, iterations: it };
}

/** Centroids of `assign`'s clusters in the rows `x` (a warm start after the features changed). */
export function centroidsOf(x: Float32Array, n: number, dim: number, assign: Int32Array, k: number): Float64Array | null {
  const c = new Float64Array(k * dim), count = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const j = assign[i];
    if (j < 0 || j >= k) continue;
    count[j]++;
    for (let d = 0; d < dim; d++) c[j * dim + d] += x[i * dim + d];
  }
  for (let j = 0; j < k; j++) {
    if (count[j] === 0) return null;
    for (let d = 0; d < dim; d++) c[j * dim + d] /= count[j];
  }
  return c;
}
