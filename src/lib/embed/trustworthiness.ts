/**
 * Trustworthiness (Venna & Kaski 2001): how far the embedding's k nearest neighbours are from being true
 * neighbours in the original space. T(k) = 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k), where
 * U_k(i) are the low-dimensional neighbours that are not among the k high-dimensional ones and r(i, j) is
 * j's rank (1 = nearest) by high-dimensional distance. 1 is perfect. Euclidean in both spaces; ties are
 * ordered by index, so the value is exact and reproducible.
 *
 * Instead of sorting every row (n² log n), each row only counts, in one pass, how many points fall before
 * each of its ≤ k intruders. With `sample`, the sum runs over a seeded subset of query points (still exact
 * ranks over all n), an unbiased estimate that keeps n = 10,000 affordable.
 */
import { Rng } from '../rng';

export interface TrustOptions {
  /** Evaluate this many query points (seeded), not all n. */
  sample?: number;
  seed?: number;
}

function lowNeighbors(low: Float32Array | Float64Array, n: number, dimLow: number, k: number, queries: Int32Array): Int32Array {
  // For the sampled queries only: brute force over all points, (distance, index) order.
  const out = new Int32Array(queries.length * k);
  const bd = new Float64Array(k), bi = new Int32Array(k);
  queries.forEach((i, qi) => {
    bd.fill(Infinity);
    bi.fill(-1);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < dimLow; d++) s += (low[i * dimLow + d] - low[j * dimLow + d]) ** 2;
      if (s >= bd[k - 1]) continue; // j > every index already held, so equal distance loses the tie
      let p = k - 1;
      while (p > 0 && bd[p - 1] > s) {
        bd[p] = bd[p - 1];
        bi[p] = bi[p - 1];
        p--;
      }
      bd[p] = s;
      bi[p] = j;
    }
    out.set(bi, qi * k);
  });
  return out;
}

export function trustworthiness(
  high: Float32Array, low: Float32Array | Float64Array, n: number, dimHigh: number, dimLow: number, k = 10, opts: TrustOptions = {},
): number {
  if (!Number.isInteger(k) || k < 1 || 2 * n - 3 * k - 1 <= 0) throw new RangeError(`trustworthiness: k (${k}) must be ≥ 1 and < (2n − 1)/3 for n = ${n}`);
  if (high.length < n * dimHigh || low.length < n * dimLow) throw new RangeError('trustworthiness: arrays shorter than n·dim');
  let queries: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
  if (opts.sample !== undefined && opts.sample < n) queries = (new Rng(opts.seed ?? 0).shuffle(queries) as Int32Array).slice(0, opts.sample);
  const m = queries.length;
  const lowNb = lowNeighbors(low, n, dimLow, k, queries);
  const dist = new Float64Array(n);
  const inHigh = new Uint8Array(n);
  let penalty = 0;
  for (let qi = 0; qi < m; qi++) {
    const i = queries[qi];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dimHigh; d++) s += (high[i * dimHigh + d] - high[j * dimHigh + d]) ** 2;
      dist[j] = s;
    }
    dist[i] = -1; // self ranks before everyone, and is not counted
    // The high-dimensional kNN set, selected from these same distances so ranks and sets agree exactly.
    const hood: number[] = [];
    {
      const order: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        if (order.length < k || dist[j] < dist[order[k - 1]]) {
          let p = Math.min(order.length, k - 1);
          order[p] = j;
          while (p > 0 && dist[order[p - 1]] > dist[j]) {
            order[p] = order[p - 1];
            order[--p] = j;
          }
        }
      }
      hood.push(...order.slice(0, k));
    }
    for (const j of hood) inHigh[j] = 1;
    const intruders: number[] = [];
    for (let t = 0; t < k; t++) {
      const j = lowNb[qi * k + t];
      if (!inHigh[j]) intruders.push(j);
    }
    for (const j of hood) inHigh[j] = 0;
    if (!intruders.length) continue;
    intruders.sort((a, b) => dist[a] - dist[b] || a - b);
    // rank(j) = #{l ≠ i : (d_l, l) < (d_j, j)} + 1; one pass, binary search over the sorted intruders.
    const before = new Int32Array(intruders.length + 1);
    for (let l = 0; l < n; l++) {
      if (l === i) continue;
      const dl = dist[l];
      let lo = 0, hi = intruders.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const j = intruders[mid];
        if (dist[j] < dl || (dist[j] === dl && j <= l)) lo = mid + 1;
        else hi = mid;
      }
      before[lo]++; // l comes before intruders[lo…]
    }
    let acc = 0;
    for (let t = 0; t < intruders.length; t++) {
      acc += before[t];
      penalty += acc + 1 - k; // rank = acc + 1
    }
  }
  return 1 - (2 / (m * k * (2 * n - 3 * k - 1))) * penalty;
}
