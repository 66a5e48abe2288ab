/**
 * Held-out evaluation on plain arrays (CPU), one classifier set for every feature set (trained encoder,
 * random encoder of the same shape, raw pixels), so that the three numbers are comparable:
 * - every feature set is standardised per dimension with its training-split statistics;
 * - kNN: k = 20 nearest training-split neighbours by cosine similarity, majority vote (the standard protocol,
 *   held-out queries against the training split; no leave-one-out inside the held-out set);
 * - softmax regression: multinomial logistic regression on the training-split features, mean cross-entropy
 *   + (λ/2)‖W‖² (bias not penalised), minimised by L-BFGS until the largest gradient entry is below `tol`.
 *   λ is chosen from a fixed grid by accuracy on a fixed fifth of the training features (those ranking fits stop
 *   after VALIDATION_ITERS iterations), then refitted on all to convergence.
 *   The objective is strictly convex, so warm starts along the grid change the time, not the answer.
 * Hand-written (no maintained browser library fits multinomial logistic regression on Float32Arrays without
 * a GPU round trip); checked against scikit-learn in evaluate.test.ts.
 */
import type { EvalPoint } from './types';
import { normalizeRows } from '../embed/knn';

/** The L2 grid searched by validation, the same for every feature set; fitted from the largest λ down, each fit starting from the previous one's weights. */
export const L2_GRID = [1, 1e-1, 1e-2, 1e-3] as const;
/** Iteration cap of the fits that only rank λ (the final fit runs to convergence, up to maxIter). */
export const VALIDATION_ITERS = 150;
export const KNN_K = 20;

/** Standardise columns in place using the statistics of the given (train) rows; returns (mean, std). */
export function standardise(x: Float32Array, n: number, dim: number, stats?: { mean: Float64Array; std: Float64Array }) {
  let mean = stats?.mean, std = stats?.std;
  if (!mean || !std) {
    mean = new Float64Array(dim);
    std = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += x[i * dim + d] / n;
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) std[d] += (x[i * dim + d] - mean[d]) ** 2 / n;
    for (let d = 0; d < dim; d++) std[d] = Math.sqrt(std[d]) + 1e-6;
  }
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] = (x[i * dim + d] - mean[d]) / std[d];
  return { mean, std };
}

/** Rows (n, dim) of a labelled split. Labels < 0 are unlabelled and ignored. */
export interface Split {
  x: Float32Array;
  n: number;
  labels: Int32Array;
}

export interface FitOptions {
  l2?: number;
  /** L-BFGS iterations at most. */
  maxIter?: number;
  /** Converged when max |∂J/∂w| ≤ tol. */
  tol?: number;
  /** Starting weights ((classes, dim + 1)); zeros when absent. */
  init?: Float64Array;
}

export interface SoftmaxFit {
  /** (classes, dim + 1): each class's weights, then its bias. */
  w: Float64Array;
  dim: number;
  classes: number;
  l2: number;
  iters: number;
  /** Objective at the end: mean cross-entropy + (λ/2)‖W‖². */
  loss: number;
  /** Largest gradient entry at the end. */
  gradMax: number;
  converged: boolean;
}

/** J(w) and its gradient into `g`; w is (C, dim + 1), each class's weights then its bias (contiguous dots). */
function objective(w: Float64Array, g: Float64Array, s: Split, dim: number, C: number, l2: number): number {
  const { x, n, labels } = s;
  const R = dim + 1;
  g.fill(0);
  const z = new Float64Array(C);
  let used = 0, loss = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y < 0) continue;
    used++;
    const o = i * dim;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const r = c * R;
      let a = w[r + dim];
      for (let d = 0; d < dim; d++) a += x[o + d] * w[r + d];
      z[c] = a;
      if (a > max) max = a;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += z[c] = Math.exp(z[c] - max);
    loss += Math.log(sum) - Math.log(z[y]);
    for (let c = 0; c < C; c++) {
      const e = z[c] / sum - (c === y ? 1 : 0); // ∂CE/∂logit
      const r = c * R;
      for (let d = 0; d < dim; d++) g[r + d] += e * x[o + d];
      g[r + dim] += e;
    }
  }
  if (used === 0) return 0;
  let reg = 0;
  for (let k = 0; k < g.length; k++) {
    g[k] /= used;
    if (k % R !== dim) {
      g[k] += l2 * w[k];
      reg += w[k] * w[k];
    }
  }
  return loss / used + 0.5 * l2 * reg;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
};
const absMax = (a: Float64Array) => {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  return m;
};

/**
 * Multinomial logistic regression by L-BFGS (memory 10, backtracking Armijo line search), from zero weights
 * or `init`: deterministic. The objective is strictly convex for λ > 0, so converged means the optimum.
 */
export function fitSoftmax(s: Split, dim: number, classes: number, opts: FitOptions = {}): SoftmaxFit {
  const l2 = opts.l2 ?? 1e-2, maxIter = opts.maxIter ?? 1000, tol = opts.tol ?? 1e-4;
  if (s.x.length < s.n * dim) throw new RangeError(`fitSoftmax: ${s.x.length} values for ${s.n} rows of ${dim}`);
  const P = (dim + 1) * classes;
  if (opts.init && opts.init.length !== P) throw new RangeError(`fitSoftmax: init has ${opts.init.length} weights, expected ${P}`);
  let w = opts.init ? opts.init.slice() : new Float64Array(P), g = new Float64Array(P);
  let f = objective(w, g, s, dim, classes, l2);
  const M = 10;
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const dir = new Float64Array(P), alpha = new Float64Array(M);
  let wNew = new Float64Array(P), gNew = new Float64Array(P);
  let iters = 0;
  while (iters < maxIter && absMax(g) > tol) {
    iters++;
    // Two-loop recursion: dir = −H·g.
    for (let k = 0; k < P; k++) dir[k] = -g[k];
    for (let m = S.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(S[m], dir);
      for (let k = 0; k < P; k++) dir[k] -= alpha[m] * Y[m][k];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let k = 0; k < P; k++) dir[k] *= gamma;
    for (let m = 0; m < S.length; m++) {
      const b = rho[m] * dot(Y[m], dir);
      for (let k = 0; k < P; k++) dir[k] += S[m][k] * (alpha[m] - b);
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let k = 0; k < P; k++) dir[k] = -g[k] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    let step = 1, fNew = Infinity, ok = false;
    for (let ls = 0; ls < 40 && !ok; ls++) {
      for (let k = 0; k < P; k++) wNew[k] = w[k] + step * dir[k];
      fNew = objective(wNew, gNew, s, dim, classes, l2);
      ok = fNew <= f + 1e-4 * step * slope;
      if (!ok) step *= 0.5;
    }
    if (!ok) break; // no decrease possible at float precision: reported as not converged unless g is small
    const sv = new Float64Array(P), yv = new Float64Array(P);
    for (let k = 0; k < P; k++) (sv[k] = wNew[k] - w[k]), (yv[k] = gNew[k] - g[k]);
    const sy = dot(sv, yv);
    if (sy > 1e-12) {
      if (S.length === M) (S.shift(), Y.shift(), rho.shift());
      S.push(sv), Y.push(yv), rho.push(1 / sy);
    }
    [w, wNew] = [wNew, w];
    [g, gNew] = [gNew, g];
    f = fNew;
  }
  const gradMax = absMax(g);
  return { w, dim, classes, l2, iters, loss: f, gradMax, converged: gradMax <= tol };
}

/** Predicted class of each row (n). */
export function softmaxPredict(fit: SoftmaxFit, x: Float32Array, n: number): Int32Array {
  const { w, dim, classes: C } = fit;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let arg = 0, best = -Infinity;
    for (let c = 0; c < C; c++) {
      let a = w[c * (dim + 1) + dim];
      for (let d = 0; d < dim; d++) a += x[i * dim + d] * w[c * (dim + 1) + d];
      if (a > best) (best = a), (arg = c);
    }
    out[i] = arg;
  }
  return out;
}

/** Fraction of labelled rows (label ≥ 0) predicted right; NaN when none is labelled. */
export function accuracyOf(pred: Int32Array, labels: Int32Array): number {
  let right = 0, total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    total++;
    if (pred[i] === labels[i]) right++;
  }
  return total ? right / total : NaN;
}

/**
 * kNN classifier: each query row of `test` takes the majority label of its k most cosine-similar labelled
 * rows of `train` (ties: larger summed similarity, then the smaller class). k is clamped to the labelled
 * training rows there are; the k used is returned.
 */
export function knnPredict(train: Split, test: { x: Float32Array; n: number }, dim: number, k = KNN_K): { pred: Int32Array; k: number } {
  const rows: number[] = [];
  for (let j = 0; j < train.n; j++) if (train.labels[j] >= 0) rows.push(j);
  k = Math.max(1, Math.min(k, rows.length));
  if (!rows.length) return { pred: new Int32Array(test.n).fill(-1), k: 0 };
  let classes = 0;
  for (const j of rows) classes = Math.max(classes, train.labels[j] + 1);
  const a = normalizeRows(train.x, train.n, dim, new Float64Array(train.n * dim));
  const q = normalizeRows(test.x, test.n, dim, new Float64Array(test.n * dim));
  const pred = new Int32Array(test.n);
  const best = new Float64Array(k), idx = new Int32Array(k);
  const votes = new Float64Array(classes), weight = new Float64Array(classes);
  for (let i = 0; i < test.n; i++) {
    best.fill(-Infinity);
    idx.fill(-1);
    const o = i * dim;
    for (const j of rows) {
      let s = 0;
      const oj = j * dim;
      for (let d = 0; d < dim; d++) s += q[o + d] * a[oj + d];
      if (s <= best[k - 1]) continue; // ties keep the earlier (smaller) index
      let p = k - 1;
      while (p > 0 && best[p - 1] < s) (best[p] = best[p - 1]), (idx[p] = idx[p - 1]), p--;
      best[p] = s;
      idx[p] = j;
    }
    votes.fill(0);
    weight.fill(0);
    for (let t = 0; t < k; t++) {
      const y = train.labels[idx[t]];
      votes[y] += 1;
      weight[y] += best[t];
    }
    let win = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[win] || (votes[c] === votes[win] && weight[c] > weight[win])) win = c;
    pred[i] = win;
  }
  return { pred, k };
}

/** Splits off every fifth labelled row (a fixed, order-based fifth) for choosing λ. */
function validationSplit(s: Split, dim: number): { fit: Split; val: Split } {
  const pick = (keep: (r: number) => boolean): Split => {
    const idx: number[] = [];
    for (let i = 0; i < s.n; i++) if (keep(i)) idx.push(i);
    const x = new Float32Array(idx.length * dim);
    idx.forEach((i, r) => x.set(s.x.subarray(i * dim, (i + 1) * dim), r * dim));
    return { x, n: idx.length, labels: Int32Array.from(idx, (i) => s.labels[i]) };
  };
  return { fit: pick((i) => i % 5 !== 4), val: pick((i) => i % 5 === 4) };
}

export interface LinearEval {
  accuracy: number;
  fit: SoftmaxFit;
  /** Validation accuracy per λ of L2_GRID. */
  validation: number[];
}

/** Softmax regression with λ chosen on a fixed fifth of the training rows, refitted on all; scored on `test`. */
export function linearEval(train: Split, test: Split, dim: number, classes: number, opts: Omit<FitOptions, 'l2'> & { grid?: readonly number[] } = {}): LinearEval {
  const grid = opts.grid ?? L2_GRID;
  const { fit, val } = validationSplit(train, dim);
  const fits: SoftmaxFit[] = [];
  for (const l2 of grid) fits.push(fitSoftmax(fit, dim, classes, { ...opts, maxIter: Math.min(opts.maxIter ?? VALIDATION_ITERS, VALIDATION_ITERS), l2, init: fits.at(-1)?.w }));
  const validation = fits.map((f) => accuracyOf(softmaxPredict(f, val.x, val.n), val.labels));
  // Best validation accuracy; ties go to the first in the grid (the stronger regularisation).
  let pick = 0;
  for (let i = 1; i < grid.length; i++) if (validation[i] > validation[pick] || Number.isNaN(validation[pick])) pick = i;
  const final = fitSoftmax(train, dim, classes, { ...opts, l2: grid[pick], init: fits[pick].w });
  return { accuracy: accuracyOf(softmaxPredict(final, test.x, test.n), test.labels), fit: final, validation };
}

export interface FeatureScores {
  knn: number;
  linear: number;
  /** The k kNN used (20 unless fewer labelled training rows exist). */
  k: number;
  fit: SoftmaxFit;
}

/** The scores of one feature set that an evaluation point keeps. */
type PointScores = Pick<FeatureScores, 'knn' | 'linear' | 'k'>;

/**
 * An evaluation point from the three feature sets' scores (trained, random encoder, raw pixels); the kNN k is the
 * trained side's. Shared by the held-out evaluation and the scores on the user's tags.
 */
export function threeWayPoint(
  step: number,
  meta: Pick<EvalPoint, 'heldOut' | 'trainUsed' | 'probeOnline'> & { converged: boolean },
  s: Record<'trained' | 'random' | 'pixels', PointScores>,
): EvalPoint {
  return {
    step,
    heldOut: meta.heldOut,
    trainUsed: meta.trainUsed,
    knnTrained: s.trained.knn,
    knnRandom: s.random.knn,
    knnPixels: s.pixels.knn,
    knnK: s.trained.k,
    linTrained: s.trained.linear,
    linRandom: s.random.linear,
    linPixels: s.pixels.linear,
    linConverged: meta.converged ? 1 : 0,
    probeOnline: meta.probeOnline,
  };
}

/**
 * Both classifiers on one feature set: standardised with training-split statistics (copies; the inputs are
 * left alone), kNN and the softmax regression, scored on the held-out rows.
 */
export function scoreFeatures(train: Split, test: Split, dim: number, classes: number, opts: Omit<FitOptions, 'l2'> & { k?: number } = {}): FeatureScores {
  const { k = KNN_K, ...fit } = opts;
  const tr = { ...train, x: train.x.slice(0, train.n * dim) };
  const te = { ...test, x: test.x.slice(0, test.n * dim) };
  const stats = standardise(tr.x, tr.n, dim);
  standardise(te.x, te.n, dim, stats);
  const nn = knnPredict(tr, te, dim, k);
  const lin = linearEval(tr, te, dim, classes, fit);
  return { knn: accuracyOf(nn.pred, te.labels), linear: lin.accuracy, k: nn.k, fit: lin.fit };
}

/** Raw pixels as features: (n, S·S·3) bytes → values in [0, 1], flattened in (row, column, channel) order. */
export function pixelFeatures(bytes: Uint8Array, n: number, size: number): Float32Array {
  const D = size * size * 3;
  if (bytes.length < n * D) throw new RangeError(`pixelFeatures: ${bytes.length} bytes for ${n} images of ${size}×${size}×3`);
  const out = new Float32Array(n * D);
  for (let k = 0; k < n * D; k++) out[k] = bytes[k] / 255;
  return out;
}
