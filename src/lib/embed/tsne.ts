/**
 * t-SNE (van der Maaten & Hinton 2008; Barnes–Hut: van der Maaten 2014), as pure functions over a state
 * object so a worker can run it a few iterations at a time and post each layout. Two methods share the
 * optimiser: 'exact' (dense P, O(n²) gradient) and 'barnes-hut' (kNN-sparse P, tree repulsion).
 * The optimiser is the reference one: early exaggeration 12 for 250 iterations, momentum 0.5 → 0.8, and
 * delta-bar-delta gains. Continuing from a previous layout (`init` array) skips exaggeration, so the
 * picture evolves instead of jumping.
 */
import { Rng } from '../rng';
import { affinitiesDense, affinitiesSparse, type Csr } from './affinity';
import { SpaceTree } from './bhtree';
import { pca } from './pca';
import type { Neighbors } from './knn';

export type TsneMethod = 'exact' | 'barnes-hut';

export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  seed?: number;
  outDim?: 2 | 3;
  /** 'auto' = max(n / exaggeration / 4, 50), the Belkina et al. (2019) rule for this gradient scale. */
  learningRate?: number | 'auto';
  /** 'auto' uses exact below `exactBelow` points. */
  method?: TsneMethod | 'auto';
  exactBelow?: number;
  theta?: number;
  exaggeration?: number;
  /** Defaults to 250, or 0 when continuing from a layout. */
  exaggerationIters?: number;
  /** 'pca' (default), 'random', or a previous (n, outDim) layout to continue from. */
  init?: 'pca' | 'random' | Float32Array | Float64Array;
  /** A Euclidean neighbour search of `data` already done (squared distances), reused for the sparse P. */
  neighbors?: Neighbors;
}

export interface TsneState {
  n: number;
  outDim: 2 | 3;
  method: TsneMethod;
  /** (n, outDim) current layout. */
  Y: Float64Array;
  iteration: number;
  iterations: number;
  learningRate: number;
  exaggeration: number;
  exaggerationIters: number;
  theta: number;
  perplexity: number;
  /** Dense (n, n) P for 'exact', CSR for 'barnes-hut'. */
  P: Float64Array | Csr;
  gains: Float64Array;
  update: Float64Array;
  grad: Float64Array;
  tree: SpaceTree | null;
}

/**
 * Exact gradient of KL(P‖Q) (times `exag` on P) into `grad` (n, D): 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j).
 * Each pair is visited once. Returns Z = Σ_{i≠j} w_ij.
 */
export function gradientExact(P: Float64Array, Y: Float64Array, n: number, D: number, exag: number, grad: Float64Array): number {
  const attr = new Float64Array(n * D), rep = new Float64Array(n * D);
  let Z = 0;
  for (let i = 0; i < n; i++) {
    const oi = i * D;
    for (let j = i + 1; j < n; j++) {
      const oj = j * D;
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (Y[oi + d] - Y[oj + d]) ** 2;
      const w = 1 / (1 + d2);
      Z += 2 * w;
      const pw = exag * P[i * n + j] * w, ww = w * w;
      for (let d = 0; d < D; d++) {
        const diff = Y[oi + d] - Y[oj + d];
        attr[oi + d] += pw * diff;
        attr[oj + d] -= pw * diff;
        rep[oi + d] += ww * diff;
        rep[oj + d] -= ww * diff;
      }
    }
  }
  for (let t = 0; t < n * D; t++) grad[t] = 4 * (attr[t] - rep[t] / Z);
  return Z;
}

/** Barnes–Hut gradient: sparse attraction plus tree repulsion (θ = 0 is exact repulsion). Returns Z. */
export function gradientBH(P: Csr, Y: Float64Array, n: number, D: 2 | 3, exag: number, theta: number, grad: Float64Array, tree = new SpaceTree(D)): number {
  tree.build(Y, n);
  const rep = new Float64Array(n * D);
  let Z = 0;
  for (let i = 0; i < n; i++) Z += tree.repulse(Y, i, theta, rep);
  for (let i = 0; i < n; i++) {
    const oi = i * D;
    let a0 = 0, a1 = 0, a2 = 0;
    for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
      const oj = P.col[e] * D;
      const d0 = Y[oi] - Y[oj], d1 = Y[oi + 1] - Y[oj + 1], d2 = D === 3 ? Y[oi + 2] - Y[oj + 2] : 0;
      const pw = (exag * P.val[e]) / (1 + d0 * d0 + d1 * d1 + d2 * d2);
      a0 += pw * d0;
      a1 += pw * d1;
      a2 += pw * d2;
    }
    grad[oi] = 4 * (a0 - rep[oi] / Z);
    grad[oi + 1] = 4 * (a1 - rep[oi + 1] / Z);
    if (D === 3) grad[oi + 2] = 4 * (a2 - rep[oi + 2] / Z);
  }
  return Z;
}

/** Z = Σ_{i≠j} 1/(1 + ‖y_i − y_j‖²), exactly. */
function exactZ(Y: Float64Array, n: number, D: number): number {
  let Z = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let d = 0; d < D; d++) d2 += (Y[i * D + d] - Y[j * D + d]) ** 2;
      Z += 2 / (1 + d2);
    }
  return Z;
}

/** KL(P‖Q) of a layout, in nats, with Q's normaliser computed exactly (O(n²), once, not per step). */
export function klDivergence(P: Float64Array | Csr, Y: Float64Array | Float32Array, n: number, D: number): number {
  const Yd = Y instanceof Float64Array ? Y : Float64Array.from(Y);
  const Z = exactZ(Yd, n, D);
  let kl = 0;
  const term = (i: number, j: number, p: number) => {
    if (p <= 0) return;
    let d2 = 0;
    for (let d = 0; d < D; d++) d2 += (Yd[i * D + d] - Yd[j * D + d]) ** 2;
    kl += p * Math.log((p * Z * (1 + d2)));
  };
  if (P instanceof Float64Array) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) term(i, j, P[i * n + j]);
  } else {
    for (let i = 0; i < n; i++) for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) term(i, P.col[e], P.val[e]);
  }
  return kl;
}

/** Compute P and the starting layout; nothing is optimised yet. */
export function initTsne(data: Float32Array, n: number, dim: number, opts: TsneOptions = {}): TsneState {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`t-SNE needs at least 2 points, got n = ${n}`);
  if (!Number.isInteger(dim) || dim < 1 || data.length < n * dim) throw new RangeError(`t-SNE: data has ${data.length} values, expected n·dim = ${n}·${dim}`);
  const outDim = opts.outDim ?? 2;
  if (outDim !== 2 && outDim !== 3) throw new RangeError(`t-SNE: outDim must be 2 or 3, got ${outDim}`);
  const perplexity = opts.perplexity ?? 30;
  const iterations = opts.iterations ?? 1000;
  if (!(iterations >= 0)) throw new RangeError(`t-SNE: iterations must be ≥ 0, got ${iterations}`);
  const method: TsneMethod = opts.method && opts.method !== 'auto' ? opts.method : n < (opts.exactBelow ?? 1000) ? 'exact' : 'barnes-hut';
  const exaggeration = opts.exaggeration ?? 12;
  const lrOpt = opts.learningRate ?? 'auto';
  const learningRate = lrOpt === 'auto' ? Math.max(n / exaggeration / 4, 50) : lrOpt;
  if (!(learningRate > 0)) throw new RangeError(`t-SNE: learning rate must be positive, got ${learningRate}`);
  const init = opts.init ?? 'pca';
  const continuing = typeof init !== 'string';
  const Y = new Float64Array(n * outDim);
  if (continuing) {
    if (init.length !== n * outDim) throw new RangeError(`t-SNE: init has ${init.length} values, expected n·outDim = ${n * outDim}`);
    Y.set(init);
  } else if (init === 'pca' && dim >= outDim) {
    // Scaled to std 1e-4 on the first axis, as for random init: small enough that exaggeration can act.
    const proj = pca(data, n, dim, outDim, { seed: opts.seed ?? 0 }).projection;
    let s = 0;
    for (let i = 0; i < n; i++) s += proj[i * outDim] ** 2;
    const scale = 1e-4 / (Math.sqrt(s / n) || 1);
    for (let t = 0; t < Y.length; t++) Y[t] = proj[t] * scale;
  } else {
    const rng = new Rng(opts.seed ?? 0);
    for (let t = 0; t < Y.length; t++) Y[t] = 1e-4 * rng.normal();
  }
  const P = method === 'exact' ? affinitiesDense(data, n, dim, perplexity) : affinitiesSparse(data, n, dim, perplexity, opts.neighbors);
  return {
    n, outDim, method, Y, iteration: 0, iterations, learningRate, exaggeration,
    exaggerationIters: opts.exaggerationIters ?? (continuing ? 0 : 250),
    theta: opts.theta ?? 0.5, perplexity,
    P, gains: new Float64Array(n * outDim).fill(1), update: new Float64Array(n * outDim), grad: new Float64Array(n * outDim),
    tree: method === 'barnes-hut' ? new SpaceTree(outDim) : null,
  };
}

/** Run up to `count` optimiser iterations (never past `state.iterations`); returns how many ran. */
export function tsneStep(s: TsneState, count = 1): number {
  const { n, outDim: D, Y, gains, update, grad } = s;
  let ran = 0;
  while (ran < count && s.iteration < s.iterations) {
    const exag = s.iteration < s.exaggerationIters ? s.exaggeration : 1;
    if (s.method === 'exact') gradientExact(s.P as Float64Array, Y, n, D, exag, grad);
    else gradientBH(s.P as Csr, Y, n, D, exag, s.theta, grad, s.tree!);
    const momentum = s.iteration < 250 ? 0.5 : 0.8;
    for (let t = 0; t < n * D; t++) {
      gains[t] = Math.sign(grad[t]) !== Math.sign(update[t]) ? gains[t] + 0.2 : Math.max(gains[t] * 0.8, 0.01);
      update[t] = momentum * update[t] - s.learningRate * gains[t] * grad[t];
      Y[t] += update[t];
    }
    // Q depends only on differences; re-centring keeps the numbers small and the picture still.
    for (let d = 0; d < D; d++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += Y[i * D + d];
      m /= n;
      for (let i = 0; i < n; i++) Y[i * D + d] -= m;
    }
    s.iteration++;
    ran++;
  }
  return ran;
}

/** The layout as (n, outDim) float32, e.g. to post to the page. */
export function tsneCoords(s: TsneState): Float32Array {
  return Float32Array.from(s.Y);
}

/** KL(P‖Q) of the current layout (nats). */
export function tsneKL(s: TsneState): number {
  return klDivergence(s.P, s.Y, s.n, s.outDim);
}

/** Embed `data` (n, dim) into (n, outDim) coordinates; deterministic for a seed. */
export function tsne(data: Float32Array, n: number, dim: number, opts: TsneOptions = {}): Float32Array {
  const s = initTsne(data, n, dim, opts);
  tsneStep(s, s.iterations);
  return tsneCoords(s);
}
