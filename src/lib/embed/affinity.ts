/**
 * t-SNE input affinities P (SCIENCE.md §5): a Gaussian around each point whose bandwidth is found by
 * binary search so that the conditional distribution has the target perplexity, then symmetrised,
 * p_ij = (p_j|i + p_i|j) / 2n. Dense (all pairs) for the exact method; kNN-sparse (k = 3·perplexity,
 * where the Gaussian mass is anyway) for large n.
 */
import { kNearest, type Neighbors } from './knn';

/** Symmetric sparse matrix in CSR form; every row's columns are sorted and unique. */
export interface Csr {
  n: number;
  rowPtr: Int32Array; // (n + 1)
  col: Int32Array; // (nnz)
  val: Float64Array; // (nnz)
}

/**
 * Conditional probabilities p_j|i ∝ exp(−β d_j) over one row of squared distances, with β chosen so that
 * exp(H) = perplexity (H in nats). Writes into `out` and returns the perplexity reached.
 */
export function calibrateRow(dist2: ArrayLike<number>, count: number, perplexity: number, out: Float64Array, tol = 1e-7): number {
  if (count === 0) return 0;
  const target = Math.log(perplexity);
  let dmin = Infinity;
  for (let j = 0; j < count; j++) dmin = Math.min(dmin, dist2[j]);
  // Distances are shifted by their minimum (exp never underflows to all-zero) and β starts on their scale.
  let dmean = 0;
  for (let j = 0; j < count; j++) dmean += dist2[j] - dmin;
  dmean /= count;
  let beta = dmean > 0 ? 1 / dmean : 1;
  let lo = 0, hi = Infinity, H = 0;
  for (let it = 0; it < 200; it++) {
    let sum = 0, sumDP = 0;
    for (let j = 0; j < count; j++) {
      const d = dist2[j] - dmin;
      const p = Math.exp(-beta * d);
      out[j] = p;
      sum += p;
      sumDP += d * p;
    }
    H = Math.log(sum) + (beta * sumDP) / sum;
    for (let j = 0; j < count; j++) out[j] /= sum;
    const diff = H - target;
    if (Math.abs(diff) < tol) break;
    if (diff > 0) {
      lo = beta; // too flat: sharpen
      beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = (beta + lo) / 2;
    }
  }
  return Math.exp(H);
}

/** Perplexity can be at most (n − 1)/3 for the k = 3·perplexity neighbourhood to exist. */
export function effectivePerplexity(perplexity: number, n: number): number {
  if (!(perplexity > 0)) throw new RangeError(`t-SNE: perplexity must be positive, got ${perplexity}`);
  return Math.max(1, Math.min(perplexity, (n - 1) / 3));
}

/** Dense symmetric P (n, n), summing to 1. O(n²) memory: for n up to a few thousand. */
export function affinitiesDense(data: Float32Array, n: number, dim: number, perplexity: number): Float64Array {
  const perp = effectivePerplexity(perplexity, n);
  const P = new Float64Array(n * n); // (n, n)
  const row = new Float64Array(n - 1), prob = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += (data[i * dim + d] - data[j * dim + d]) ** 2;
      row[c++] = s;
    }
    calibrateRow(row, c, perp, prob);
    c = 0;
    for (let j = 0; j < n; j++) if (j !== i) P[i * n + j] = prob[c++];
  }
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = (P[i * n + j] + P[j * n + i]) / (2 * n);
      P[i * n + j] = v;
      P[j * n + i] = v;
    }
  return P;
}

/**
 * kNN-sparse symmetric P: each point's 3·perplexity nearest neighbours (Euclidean), symmetrised.
 * `known` reuses an earlier search of the same data (squared Euclidean, at least that many neighbours).
 */
export function affinitiesSparse(data: Float32Array, n: number, dim: number, perplexity: number, known?: Neighbors): Csr {
  const perp = effectivePerplexity(perplexity, n);
  const k = Math.min(n - 1, Math.max(1, Math.floor(3 * perp)));
  const nb = known && known.k >= k ? truncate(known, n, k) : kNearest(data, n, dim, k, 'euclidean');
  const cond = new Float64Array(n * k); // (n, k) p_j|i
  const prob = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    calibrateRow(nb.values.subarray(i * k, (i + 1) * k), k, perp, prob);
    cond.set(prob, i * k);
  }
  // Each directed edge i→j lands in row i and row j; duplicates (mutual neighbours) merge below.
  const count = new Int32Array(n + 1);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) {
      count[i + 1]++;
      count[nb.indices[i * k + t] + 1]++;
    }
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const fill = count.slice(0, n);
  const cols = new Int32Array(count[n]), vals = new Float64Array(count[n]);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < k; t++) {
      const j = nb.indices[i * k + t], v = cond[i * k + t] / (2 * n);
      cols[fill[i]] = j;
      vals[fill[i]++] = v;
      cols[fill[j]] = i;
      vals[fill[j]++] = v;
    }
  const rowPtr = new Int32Array(n + 1);
  const outCol = new Int32Array(count[n]), outVal = new Float64Array(count[n]);
  let nnz = 0;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    order.length = 0;
    for (let e = count[i]; e < count[i + 1]; e++) order.push(e);
    order.sort((a, b) => cols[a] - cols[b]);
    for (let t = 0; t < order.length; t++) {
      const e = order[t];
      if (nnz > rowPtr[i] && outCol[nnz - 1] === cols[e]) outVal[nnz - 1] += vals[e];
      else {
        outCol[nnz] = cols[e];
        outVal[nnz++] = vals[e];
      }
    }
    rowPtr[i + 1] = nnz;
  }
  return { n, rowPtr, col: outCol.slice(0, nnz), val: outVal.slice(0, nnz) };
}

function truncate(nb: Neighbors, n: number, k: number): Neighbors {
  if (nb.k === k) return nb;
  const indices = new Int32Array(n * k), values = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    indices.set(nb.indices.subarray(i * nb.k, i * nb.k + k), i * k);
    values.set(nb.values.subarray(i * nb.k, i * nb.k + k), i * k);
  }
  return { k, indices, values };
}

/** Dense copy of a sparse P (tests and small-n diagnostics). */
export function densify(P: Csr): Float64Array {
  const out = new Float64Array(P.n * P.n);
  for (let i = 0; i < P.n; i++) for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) out[i * P.n + P.col[e]] = P.val[e];
  return out;
}
