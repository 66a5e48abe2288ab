/**
 * Variational MI bounds on a K×K score matrix (SCIENCE.md §2), in nats. Convention: S[i][j] = f(x_j, y_i),
 * so the diagonal holds the K positive pairs and the K(K−1) off-diagonal entries are the negatives.
 *
 * Every exponential goes through a max-shifted log-sum-exp and every softplus through the stable
 * max(z, 0) + log1p(e^−|z|) form, so scores of ±1000 give finite answers. The one exception is NWJ, whose
 * true value e^{lme−1} can exceed the float range; there it returns −Infinity, which is the exact answer
 * rounded, never NaN.
 *
 * The tensor versions (`…T`) are what critic training (and the trainer's curves) use; the array versions
 * are the readable reference they are tested against.
 */
import * as tf from '@tensorflow/tfjs';

export type Scores = readonly (readonly number[])[];
export type Estimator = 'infonce' | 'nwj' | 'dv' | 'js';
export const ESTIMATORS: readonly Estimator[] = ['infonce', 'nwj', 'dv', 'js'];

function checkScores(S: Scores): number {
  const K = Array.isArray(S) ? S.length : 0;
  if (K < 2) throw new RangeError(`score matrix needs K ≥ 2 rows (one positive and at least one negative), got ${K}`);
  for (let i = 0; i < K; i++) {
    const row = S[i];
    if (!Array.isArray(row) || row.length !== K)
      throw new RangeError(`score matrix must be K×K: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, expected ${K}`);
    for (let j = 0; j < K; j++) if (Number.isNaN(row[j]) || typeof row[j] !== 'number') throw new RangeError(`score S[${i}][${j}] is not a number`);
  }
  return K;
}

/** log Σ e^v, shifted by the max so nothing overflows. */
export function logSumExp(v: readonly number[]): number {
  let m = -Infinity;
  for (const x of v) if (x > m) m = x;
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** softplus(z) = log(1 + e^z), stable for |z| large. */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

function diagMean(S: Scores, K: number): number {
  let s = 0;
  for (let i = 0; i < K; i++) s += S[i][i];
  return s / K;
}

function offDiagonal(S: Scores, K: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) if (i !== j) out.push(S[i][j]);
  return out;
}

/** log mean_{i≠j} e^{S_ij}. */
function logMeanExpOff(S: Scores, K: number): number {
  return logSumExp(offDiagonal(S, K)) - Math.log(K * (K - 1));
}

/** InfoNCE: log K + (1/K) Σ_i [S_ii − logsumexp_j S_ij]. Never exceeds log K. */
export function infoNce(S: Scores): number {
  const K = checkScores(S);
  let s = 0;
  for (let i = 0; i < K; i++) s += S[i][i] - logSumExp(S[i]);
  return Math.log(K) + s / K;
}

/** NWJ (f-GAN KL, MINE-f): mean_i S_ii − e^{−1} · mean_{i≠j} e^{S_ij}. */
export function nwj(S: Scores): number {
  const K = checkScores(S);
  return diagMean(S, K) - Math.exp(logMeanExpOff(S, K) - 1);
}

/** Donsker–Varadhan (MINE): mean_i S_ii − log mean_{i≠j} e^{S_ij}. Biased upwards on a finite batch. */
export function dv(S: Scores): number {
  const K = checkScores(S);
  return diagMean(S, K) - logMeanExpOff(S, K);
}

/**
 * Jensen–Shannon (f-GAN): mean_i[−softplus(−S_ii)] − mean_{i≠j} softplus(S_ij), without DIM's +log 4.
 * Rises with MI but is not an MI value in nats (it is at most 0 here).
 */
export function js(S: Scores): number {
  const K = checkScores(S);
  let pos = 0;
  for (let i = 0; i < K; i++) pos -= softplus(-S[i][i]);
  let neg = 0;
  for (const v of offDiagonal(S, K)) neg += softplus(v);
  return pos / K - neg / (K * (K - 1));
}

export const BOUNDS: Readonly<Record<Estimator, (S: Scores) => number>> = { infonce: infoNce, nwj, dv, js };

// ---- tensor versions (differentiable; used by critic training and the trainer) ----

function parts(S: tf.Tensor2D): { K: number; diag: tf.Tensor1D; off: tf.Tensor2D } {
  const K = S.shape[0];
  if (K < 2 || S.shape[1] !== K) throw new RangeError(`score matrix must be K×K with K ≥ 2, got ${S.shape.join('×')}`);
  const eye = tf.eye(K); // (K, K)
  const diag = tf.sum(tf.mul(S, eye), 1) as tf.Tensor1D; // (K,)
  const off = tf.sub(1, eye) as tf.Tensor2D; // (K, K) mask of negatives
  return { K, diag, off };
}

/** log mean_{i≠j} e^{S_ij}; positives are pushed to a huge negative score (not −∞, so no ∞ − ∞ in any backend). */
function logMeanExpOffT(S: tf.Tensor2D, K: number, off: tf.Tensor2D): tf.Scalar {
  const masked = tf.where(tf.cast(off, 'bool'), S, tf.fill([K, K], -1e30)); // (K, K)
  return tf.sub(tf.logSumExp(masked), Math.log(K * (K - 1)));
}

/** InfoNCE on a (K, K) score tensor; see `infoNce`. */
export function infoNceT(S: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { K, diag } = parts(S);
    return tf.add(Math.log(K), tf.mean(tf.sub(diag, tf.logSumExp(S, 1)))); // rows: one softmax per y_i
  });
}

/** NWJ on a (K, K) score tensor; see `nwj`. */
export function nwjT(S: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { K, diag, off } = parts(S);
    return tf.sub(tf.mean(diag), tf.exp(tf.sub(logMeanExpOffT(S, K, off), 1)));
  });
}

/** DV on a (K, K) score tensor; see `dv`. */
export function dvT(S: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { K, diag, off } = parts(S);
    return tf.sub(tf.mean(diag), logMeanExpOffT(S, K, off));
  });
}

/** JS (no log 4 shift) on a (K, K) score tensor; see `js`. */
export function jsT(S: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { K, diag, off } = parts(S);
    const pos = tf.mean(tf.neg(tf.softplus(tf.neg(diag))));
    const neg = tf.div(tf.sum(tf.mul(tf.softplus(S), off)), K * (K - 1));
    return tf.sub(pos, neg);
  });
}

export const BOUNDS_T: Readonly<Record<Estimator, (S: tf.Tensor2D) => tf.Scalar>> = { infonce: infoNceT, nwj: nwjT, dv: dvT, js: jsT };

/**
 * An MI reading in nats from a critic trained with the JS objective. Its optimum is T* = log p(x,y)/p(x)p(y),
 * while NWJ's optimum is 1 + log-ratio, so NWJ evaluated on T + 1 turns the JS critic into a lower bound
 * (Poole et al. 2019, "JS" row): mean T_ii + 1 − mean_{i≠j} e^{T_ij}.
 */
export function jsReadoutT(S: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => nwjT(tf.add(S, 1) as tf.Tensor2D));
}

/** Array version of `jsReadoutT`. */
export function jsReadout(S: Scores): number {
  return nwj(S.map((row) => row.map((v) => v + 1)));
}
