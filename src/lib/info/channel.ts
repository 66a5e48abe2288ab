/**
 * Sender → channel → receiver (SCIENCE.md §1). A channel is a row-stochastic matrix W[x][y] = P(y | x);
 * with an input distribution P(x) it defines the joint P(x, y) = P(x) P(y | x), and I(X; Y) is the
 * information it transmits. Capacity max_{P(x)} I(X; Y) comes from the Blahut–Arimoto iteration.
 */
import { checkDistribution, mutualInformation, SUM_TOLERANCE, type Dist, type Joint } from './entropy';

/** Throws a RangeError naming the first row that is not a distribution, or a ragged matrix. */
export function checkChannel(W: Joint): void {
  if (!Array.isArray(W) || W.length === 0) throw new RangeError('channel matrix is empty: it needs one row per input symbol');
  const cols = W[0]?.length ?? 0;
  if (cols === 0) throw new RangeError('channel matrix row 0 is empty: it needs one column per output symbol');
  for (let i = 0; i < W.length; i++) {
    if (!Array.isArray(W[i]) || W[i].length !== cols) throw new RangeError(`channel matrix is ragged: row ${i} has ${W[i]?.length ?? 0} entries, row 0 has ${cols}`);
    checkDistribution(W[i], `P(y | x=${i})`);
  }
}

/** P(x, y) = P(x) P(y | x); rows index x. */
export function jointFromChannel(px: Dist, W: Joint): number[][] {
  checkDistribution(px, 'P(x)');
  checkChannel(W);
  if (px.length !== W.length) throw new RangeError(`P(x) has ${px.length} symbols but the channel has ${W.length} input rows`);
  return W.map((row, i) => row.map((w) => px[i] * w));
}

/** I(X; Y) transmitted by channel W with input distribution px. */
export function channelMutualInformation(px: Dist, W: Joint, base = 2): number {
  return mutualInformation(renormalise(jointFromChannel(px, W)), base);
}

// Products of two normalised vectors can drift a few ulps from 1; rescale so the joint check stays strict.
function renormalise(pxy: number[][]): number[][] {
  let s = 0;
  for (const row of pxy) for (const v of row) s += v;
  return Math.abs(s - 1) <= SUM_TOLERANCE ? pxy.map((row) => row.map((v) => v / s)) : pxy;
}

/** The identity channel on n symbols: the receiver always gets what was sent. */
export function idealChannel(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** Every row equal to `py`: the output ignores the input. */
export function disturbedChannel(nIn: number, py: Dist): number[][] {
  checkDistribution(py, 'P(y)');
  return Array.from({ length: nIn }, () => [...py]);
}

/** Binary symmetric channel with flip probability e. */
export function bsc(e: number): number[][] {
  if (!(e >= 0 && e <= 1)) throw new RangeError(`flip probability must be in [0, 1], got ${e}`);
  return [
    [1 - e, e],
    [e, 1 - e],
  ];
}

export interface Capacity {
  /** max over P(x) of I(X; Y), in the requested base. */
  capacity: number;
  /** The maximising input distribution. */
  input: number[];
  iterations: number;
  /** Upper − lower bound on capacity at the end (nats): the certificate that it converged. */
  gap: number;
}

/**
 * Blahut–Arimoto: r ← r · exp(D(W_x ‖ q)) / Σ, where q = rW. At every step
 * Σ_x r_x D_x ≤ C ≤ max_x D_x, so the gap between the two bounds is a convergence certificate.
 */
export function blahutArimoto(W: Joint, base = 2, tol = 1e-10, maxIter = 10_000): Capacity {
  checkChannel(W);
  const n = W.length;
  const m = W[0].length;
  let r = new Array<number>(n).fill(1 / n);
  const D = new Array<number>(n).fill(0);
  let gap = Infinity;
  let lower = 0;
  let used = r;
  let it = 0;
  for (; it < maxIter; it++) {
    const q = new Array<number>(m).fill(0);
    for (let x = 0; x < n; x++) for (let y = 0; y < m; y++) q[y] += r[x] * W[x][y];
    for (let x = 0; x < n; x++) {
      let d = 0;
      for (let y = 0; y < m; y++) if (W[x][y] > 0) d += W[x][y] * Math.log(W[x][y] / q[y]);
      D[x] = d;
    }
    lower = 0;
    let upper = -Infinity;
    for (let x = 0; x < n; x++) {
      lower += r[x] * D[x];
      upper = Math.max(upper, D[x]);
    }
    gap = upper - lower;
    used = r;
    if (gap < tol) break;
    let z = 0;
    const next = r.map((rx, x) => rx * Math.exp(D[x] - upper));
    for (const v of next) z += v;
    r = next.map((v) => v / z);
  }
  return { capacity: Math.max(0, lower) / Math.log(base), input: used, iterations: Math.min(it + 1, maxIter), gap };
}
