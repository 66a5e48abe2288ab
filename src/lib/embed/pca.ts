/**
 * Principal components by subspace (block power) iteration with a Rayleigh–Ritz step: cheap for the
 * 2–3 components a scatter needs, and deterministic for a seed. Below 256 dimensions the covariance is
 * formed once (n·dim² work); above, the iteration multiplies by the centred data directly, so the
 * official 1024-wide features never build a 1024² matrix.
 */
import { Rng } from '../rng';

export interface PcaResult {
  k: number;
  dim: number;
  mean: Float64Array; // (dim)
  /** (k, dim) unit principal axes, largest variance first; each axis' largest-magnitude entry is positive. */
  components: Float64Array;
  /** (k) variance along each axis (divisor n − 1). */
  variance: Float64Array;
  /** (n, k) centred data projected on the axes. */
  projection: Float32Array;
}

/** Eigen-decomposition of a symmetric (m, m) matrix by cyclic Jacobi rotations; eigenvalues descending. */
export function jacobiEigen(A: Float64Array, m: number): { values: Float64Array; vectors: Float64Array /* (m, m), row r = vector r */ } {
  const a = Float64Array.from(A);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < m; r++) {
          const arp = a[r * m + p], arq = a[r * m + q];
          a[r * m + p] = c * arp - s * arq;
          a[r * m + q] = s * arp + c * arq;
        }
        for (let r = 0; r < m; r++) {
          const apr = a[p * m + r], aqr = a[q * m + r];
          a[p * m + r] = c * apr - s * aqr;
          a[q * m + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < m; r++) {
          const vpr = v[p * m + r], vqr = v[q * m + r];
          v[p * m + r] = c * vpr - s * vqr;
          v[q * m + r] = s * vpr + c * vqr;
        }
      }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => a[y * m + y] - a[x * m + x]);
  const values = new Float64Array(m), vectors = new Float64Array(m * m);
  order.forEach((src, r) => {
    values[r] = a[src * m + src];
    vectors.set(v.subarray(src * m, (src + 1) * m), r * m);
  });
  return { values, vectors };
}

/** Orthonormalise the p columns of Q (dim, p) in place (modified Gram–Schmidt); degenerate columns get re-drawn. */
function orthonormalise(Q: Float64Array, dim: number, p: number, rng: Rng): void {
  for (let c = 0; c < p; c++) {
    for (let attempt = 0; attempt < 3; attempt++) {
      for (let b = 0; b < c; b++) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += Q[d * p + c] * Q[d * p + b];
        for (let d = 0; d < dim; d++) Q[d * p + c] -= dot * Q[d * p + b];
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += Q[d * p + c] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-12) {
        for (let d = 0; d < dim; d++) Q[d * p + c] /= norm;
        break;
      }
      for (let d = 0; d < dim; d++) Q[d * p + c] = rng.normal();
    }
  }
}

/** The top k principal components of `data` (n, dim). */
export function pca(data: Float32Array, n: number, dim: number, k: number, opts: { seed?: number; maxIterations?: number } = {}): PcaResult {
  if (n < 1 || dim < 1 || data.length < n * dim) throw new RangeError(`pca: data has ${data.length} values, expected n·dim = ${n}·${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new RangeError(`pca: k (${k}) must be an integer in [1, dim = ${dim}]`);
  const rng = new Rng(opts.seed ?? 0);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d] / n;
  const X = new Float64Array(n * dim); // (n, dim) centred
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) X[i * dim + d] = data[i * dim + d] - mean[d];
  const denom = Math.max(1, n - 1);
  // Oversampling (p > k) makes convergence depend on λ_{p+1}/λ_k instead of λ_{k+1}/λ_k.
  const p = Math.min(dim, k + 4);
  let C: Float64Array | null = null;
  if (dim <= 256) {
    C = new Float64Array(dim * dim); // (dim, dim)
    for (let i = 0; i < n; i++)
      for (let a = 0; a < dim; a++) {
        const xa = X[i * dim + a];
        if (xa === 0) continue;
        for (let b = a; b < dim; b++) C[a * dim + b] += xa * X[i * dim + b];
      }
    for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) C[b * dim + a] = C[a * dim + b] /= denom;
  }
  const tmp = new Float64Array(n * p);
  const apply = (Q: Float64Array, out: Float64Array) => {
    out.fill(0);
    if (C) {
      for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) {
        const cab = C[a * dim + b];
        for (let c = 0; c < p; c++) out[a * p + c] += cab * Q[b * p + c];
      }
      return;
    }
    tmp.fill(0); // (n, p) = X Q
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) {
      const x = X[i * dim + d];
      for (let c = 0; c < p; c++) tmp[i * p + c] += x * Q[d * p + c];
    }
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) {
      const x = X[i * dim + d] / denom;
      for (let c = 0; c < p; c++) out[d * p + c] += x * tmp[i * p + c];
    }
  };
  let Q = new Float64Array(dim * p); // (dim, p)
  for (let t = 0; t < Q.length; t++) Q[t] = rng.normal();
  orthonormalise(Q, dim, p, rng);
  let Z = new Float64Array(dim * p);
  const maxIt = opts.maxIterations ?? 300;
  for (let it = 0; it < maxIt; it++) {
    apply(Q, Z);
    orthonormalise(Z, dim, p, rng);
    let change = 0;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += Z[d * p + c] * Q[d * p + c];
      change = Math.max(change, 1 - Math.abs(dot));
    }
    [Q, Z] = [Z, Q];
    if (change < 1e-12) break;
  }
  // Rayleigh–Ritz: the best k axes inside the converged subspace, with their variances.
  apply(Q, Z);
  const H = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += Q[d * p + a] * Z[d * p + b];
    H[a * p + b] = s;
  }
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) H[a * p + b] = H[b * p + a] = (H[a * p + b] + H[b * p + a]) / 2;
  const eig = jacobiEigen(H, p);
  const components = new Float64Array(k * dim), variance = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    variance[r] = Math.max(0, eig.values[r]);
    let big = 0;
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += Q[d * p + c] * eig.vectors[r * p + c];
      components[r * dim + d] = s;
      if (Math.abs(s) > Math.abs(big)) big = s;
    }
    if (big < 0) for (let d = 0; d < dim; d++) components[r * dim + d] = -components[r * dim + d];
  }
  const projection = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let r = 0; r < k; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += X[i * dim + d] * components[r * dim + d];
    projection[i * k + r] = s;
  }
  return { k, dim, mean, components, variance, projection };
}
