/**
 * Discrete information measures (SCIENCE.md §1) on plain arrays. Everything is computed in nats and divided
 * by ln(base) at the end, so the three units differ only by a constant factor.
 *
 * A distribution is accepted when every entry is a finite number ≥ 0 and the entries sum to 1 within
 * `SUM_TOLERANCE` (absolute). The UI normalises what the user types before calling in here, so a sum that is
 * further off than rounding can explain is a bug worth reporting, not something to silently rescale.
 */

export type Dist = readonly number[];
export type Joint = readonly (readonly number[])[];

/** Largest accepted |Σp − 1|: a few ulps of rounding over a 6×6 table are ~1e-15, well inside this. */
export const SUM_TOLERANCE = 1e-9;

function logBase(base: number): number {
  if (!Number.isFinite(base) || base <= 0 || base === 1)
    throw new RangeError(`log base must be a finite number > 0 and ≠ 1, got ${base}`);
  return Math.log(base);
}

/** Throws a RangeError naming the first problem; `what` names the argument in the message. */
export function checkDistribution(p: Dist, what = 'p'): void {
  if (!Array.isArray(p) || p.length === 0) throw new RangeError(`${what} is empty: a distribution needs at least one outcome`);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new RangeError(`${what}[${i}] is not a number (${String(v)})`);
    if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}] is not finite (${v})`);
    if (v < 0) throw new RangeError(`${what}[${i}] is negative (${v}): probabilities are ≥ 0`);
    sum += v;
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) throw new RangeError(`${what} sums to ${sum}, not 1 (tolerance ${SUM_TOLERANCE})`);
}

/** Throws a RangeError for an empty, ragged or non-normalised joint table. */
export function checkJoint(pxy: Joint, what = 'pxy'): void {
  if (!Array.isArray(pxy) || pxy.length === 0) throw new RangeError(`${what} is empty: a joint table needs at least one row`);
  const cols = pxy[0]?.length ?? 0;
  if (!Array.isArray(pxy[0]) || cols === 0) throw new RangeError(`${what}[0] is empty: a joint table needs at least one column`);
  let sum = 0;
  for (let i = 0; i < pxy.length; i++) {
    const row = pxy[i];
    if (!Array.isArray(row) || row.length !== cols)
      throw new RangeError(`${what} is ragged: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number' || Number.isNaN(v)) throw new RangeError(`${what}[${i}][${j}] is not a number (${String(v)})`);
      if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}][${j}] is not finite (${v})`);
      if (v < 0) throw new RangeError(`${what}[${i}][${j}] is negative (${v}): probabilities are ≥ 0`);
      sum += v;
    }
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) throw new RangeError(`${what} sums to ${sum}, not 1 (tolerance ${SUM_TOLERANCE})`);
}

/** −p log p with the convention 0 · log 0 = 0 (the limit as p → 0). */
function plogp(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/** P(x) = Σ_y P(x, y): row sums. */
export function marginalX(pxy: Joint): number[] {
  return pxy.map((row) => row.reduce((a, b) => a + b, 0));
}

/** P(y) = Σ_x P(x, y): column sums. */
export function marginalY(pxy: Joint): number[] {
  const out = new Array<number>(pxy[0].length).fill(0);
  for (const row of pxy) for (let j = 0; j < row.length; j++) out[j] += row[j];
  return out;
}

/** H(X) = −Σ p log p. */
export function entropy(p: Dist, base = 2): number {
  const ln = logBase(base);
  checkDistribution(p);
  let h = 0;
  for (const v of p) h -= plogp(v);
  return Math.max(0, h) / ln;
}

/** H(X, Y) = −Σ p(x, y) log p(x, y). */
export function jointEntropy(pxy: Joint, base = 2): number {
  const ln = logBase(base);
  checkJoint(pxy);
  let h = 0;
  for (const row of pxy) for (const v of row) h -= plogp(v);
  return Math.max(0, h) / ln;
}

/** H(X | Y) = −Σ p(x, y) log p(x | y); rows index x, columns index y. */
export function conditionalEntropy(pxy: Joint, base = 2): number {
  const ln = logBase(base);
  checkJoint(pxy);
  const py = marginalY(pxy);
  let h = 0;
  for (const row of pxy) for (let j = 0; j < row.length; j++) if (row[j] > 0) h -= row[j] * Math.log(row[j] / py[j]);
  return Math.max(0, h) / ln;
}

/** I(X; Y) = Σ p(x, y) log[p(x, y) / (p(x) p(y))]; rows index x, columns index y. */
export function mutualInformation(pxy: Joint, base = 2): number {
  const ln = logBase(base);
  checkJoint(pxy);
  const px = marginalX(pxy);
  const py = marginalY(pxy);
  let mi = 0;
  for (let i = 0; i < pxy.length; i++) {
    const row = pxy[i];
    for (let j = 0; j < row.length; j++) if (row[j] > 0) mi += row[j] * Math.log(row[j] / (px[i] * py[j]));
  }
  // Mathematically ≥ 0; clamp the last-ulp rounding so "independent" reads exactly 0.
  return Math.max(0, mi) / ln;
}

/** KL(P ‖ Q) = Σ p log(p / q); Infinity where q = 0 < p. */
export function klDivergence(p: Dist, q: Dist, base = 2): number {
  const ln = logBase(base);
  checkDistribution(p, 'p');
  checkDistribution(q, 'q');
  if (p.length !== q.length) throw new RangeError(`p has ${p.length} outcomes but q has ${q.length}: they must match`);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    kl += p[i] * Math.log(p[i] / q[i]);
  }
  return Math.max(0, kl) / ln;
}

/** The product of the marginals, P(x) P(y), as a table shaped like `pxy`. */
export function productOfMarginals(pxy: Joint): number[][] {
  const px = marginalX(pxy);
  const py = marginalY(pxy);
  return px.map((a) => py.map((b) => a * b));
}

/** Binary entropy H_b(p) of a coin with P(heads) = p. */
export function binaryEntropy(p: number, base = 2): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binary entropy needs 0 ≤ p ≤ 1, got ${p}`);
  return entropy([p, 1 - p], base);
}
