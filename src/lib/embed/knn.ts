/**
 * Exact k-nearest neighbours by brute force, and the kNN classifier score shown beside the embedding.
 * Brute force is the honest choice here: the probe set is at most 10,000 points, a KD-tree does not help in
 * 64+ dimensions, and an exact answer makes the score reproducible. Each pair is scored once (j > i) and
 * offered to both rows' top-k lists, halving the work.
 */

export type Metric = 'cosine' | 'euclidean';

export interface Neighbors {
  k: number;
  /** (n, k) neighbour indices, best first; self excluded. */
  indices: Int32Array;
  /** (n, k) cosine similarity (cosine) or squared distance (euclidean), same order. */
  values: Float64Array;
}

/**
 * Rows scaled to unit length (zero rows stay zero, so they are equally far from everything). Into a new
 * Float32Array by default; `out` may be a Float64Array (float64 sums later) or `data` itself (in place).
 */
export function normalizeRows(data: Float32Array, n: number, dim: number): Float32Array;
export function normalizeRows<T extends Float32Array | Float64Array>(data: Float32Array, n: number, dim: number, out: T): T;
export function normalizeRows(data: Float32Array, n: number, dim: number, out: Float32Array | Float64Array = new Float32Array(n * dim)): Float32Array | Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) out[i * dim + d] = data[i * dim + d] * inv;
  }
  return out;
}

function checkShape(fn: string, data: Float32Array, n: number, dim: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(dim) || dim < 1)
    throw new RangeError(`${fn}: n (${n}) and dim (${dim}) must be positive integers`);
  if (data.length < n * dim) throw new RangeError(`${fn}: data has ${data.length} values, expected n·dim = ${n * dim}`);
}

/**
 * The k nearest neighbours of every row. Ties are broken by the smaller index so the answer does not
 * depend on loop order. Scores are "larger is better" internally (similarity, or −d²).
 */
export function kNearest(data: Float32Array, n: number, dim: number, k: number, metric: Metric = 'euclidean'): Neighbors {
  checkShape('kNearest', data, n, dim);
  k = Math.max(0, Math.min(k, n - 1));
  const x = metric === 'cosine' ? normalizeRows(data, n, dim) : data;
  const sq = new Float64Array(n);
  if (metric === 'euclidean') for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d] ** 2;
    sq[i] = s;
  }
  const best = new Float64Array(n * k).fill(-Infinity); // (n, k) scores, descending
  const idx = new Int32Array(n * k).fill(-1); // (n, k)
  const offer = (row: number, j: number, s: number) => {
    const base = row * k;
    const last = base + k - 1;
    if (s < best[last] || (s === best[last] && (idx[last] < 0 ? false : j > idx[last]))) return;
    let p = last;
    while (p > base && (best[p - 1] < s || (best[p - 1] === s && idx[p - 1] > j))) {
      best[p] = best[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    best[p] = s;
    idx[p] = j;
  };
  const cos = metric === 'cosine';
  const score = (i: number, j: number, dot: number) => {
    const s = cos ? dot : Math.min(0, 2 * dot - sq[i] - sq[j]);
    if (s >= best[i * k + k - 1]) offer(i, j, s);
    if (s >= best[j * k + k - 1]) offer(j, i, s);
  };
  // Four rows at a time against every later row: each x[j] load feeds four multiply-adds. This loop is
  // the whole cost at n = 10,000 (5·10⁷ pairs).
  if (k > 0) for (let i0 = 0; i0 < n; i0 += 4) {
    const o0 = i0 * dim, o1 = Math.min(i0 + 1, n - 1) * dim, o2 = Math.min(i0 + 2, n - 1) * dim, o3 = Math.min(i0 + 3, n - 1) * dim;
    for (let j = i0 + 1; j < n; j++) {
      const oj = j * dim;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let d = 0; d < dim; d++) {
        const v = x[oj + d];
        a0 += x[o0 + d] * v;
        a1 += x[o1 + d] * v;
        a2 += x[o2 + d] * v;
        a3 += x[o3 + d] * v;
      }
      score(i0, j, a0);
      if (j > i0 + 1 && i0 + 1 < n) score(i0 + 1, j, a1);
      if (j > i0 + 2 && i0 + 2 < n) score(i0 + 2, j, a2);
      if (j > i0 + 3 && i0 + 3 < n) score(i0 + 3, j, a3);
    }
  }
  if (metric === 'euclidean') for (let t = 0; t < best.length; t++) best[t] = -best[t];
  return { k, indices: idx, values: best };
}

/**
 * Majority vote of each point's neighbours (leave-one-out: a point never votes for itself). Unlabelled
 * points (label < 0) neither vote nor count. Ties go to the class with the larger summed similarity, then
 * to the smaller class index. Returns the fraction correct, or NaN when no point has a label.
 */
export function knnAccuracyFrom(nb: Neighbors, labels: Int32Array, metric: Metric = 'cosine'): number {
  const n = labels.length;
  let classes = 0;
  for (let i = 0; i < n; i++) classes = Math.max(classes, labels[i] + 1);
  const votes = new Float64Array(classes), weight = new Float64Array(classes);
  let scored = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    votes.fill(0);
    weight.fill(0);
    for (let t = 0; t < nb.k; t++) {
      const j = nb.indices[i * nb.k + t];
      if (j < 0 || labels[j] < 0) continue;
      votes[labels[j]] += 1;
      const v = nb.values[i * nb.k + t];
      weight[labels[j]] += metric === 'cosine' ? v : -v;
    }
    let win = -1;
    for (let c = 0; c < classes; c++) {
      if (votes[c] === 0) continue;
      if (win < 0 || votes[c] > votes[win] || (votes[c] === votes[win] && weight[c] > weight[win])) win = c;
    }
    scored++;
    if (win === labels[i]) correct++;
  }
  return scored ? correct / scored : NaN;
}

/** kNN accuracy (cosine, leave-one-out, majority vote) of `labels` from `features` (n, dim). */
export function knnAccuracy(features: Float32Array, n: number, dim: number, labels: Int32Array, k = 20): number {
  if (labels.length !== n) throw new RangeError(`knnAccuracy: ${labels.length} labels for ${n} points`);
  return knnAccuracyFrom(kNearest(features, n, dim, k, 'cosine'), labels, 'cosine');
}
