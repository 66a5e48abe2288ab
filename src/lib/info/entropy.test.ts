import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import {
  binaryEntropy,
  conditionalEntropy,
  entropy,
  jointEntropy,
  klDivergence,
  marginalX,
  marginalY,
  mutualInformation,
  productOfMarginals,
} from './entropy';

/** A random joint table with some exact zeros, normalised. */
function randomJoint(rng: Rng, n: number, m: number): number[][] {
  const t = Array.from({ length: n }, () => Array.from({ length: m }, () => (rng.next() < 0.2 ? 0 : rng.next())));
  t[0][0] += 0.1;
  const s = t.flat().reduce((a, b) => a + b, 0);
  return t.map((r) => r.map((v) => v / s));
}

/** The textbook definition, written as directly as possible, in bits. */
function slowMi(pxy: number[][]): number {
  let mi = 0;
  for (let i = 0; i < pxy.length; i++)
    for (let j = 0; j < pxy[0].length; j++) {
      let px = 0;
      let py = 0;
      for (let k = 0; k < pxy[0].length; k++) px += pxy[i][k];
      for (let k = 0; k < pxy.length; k++) py += pxy[k][j];
      if (pxy[i][j] > 0) mi += pxy[i][j] * Math.log2(pxy[i][j] / (px * py));
    }
  return mi;
}

describe('entropy: the seed article examples', () => {
  it('a fair coin is exactly 1 bit, ln 2 nats, log10 2 dits', () => {
    expect(entropy([0.5, 0.5])).toBe(1);
    expect(entropy([0.5, 0.5], Math.E)).toBeCloseTo(Math.LN2, 15);
    expect(entropy([0.5, 0.5], 10)).toBeCloseTo(Math.log10(2), 15);
  });
  it('a biased coin (0.9 heads) has less: 0.469 bits', () => {
    const h = entropy([0.9, 0.1]);
    expect(h).toBeLessThan(1);
    expect(h).toBeCloseTo(-(0.9 * Math.log2(0.9) + 0.1 * Math.log2(0.1)), 14);
    expect(h).toBeCloseTo(0.469, 3);
  });
  it('a fair die is log2 6 bits; a loaded die (1/2, 1/10 ×5) less', () => {
    expect(entropy(new Array(6).fill(1 / 6))).toBeCloseTo(Math.log2(6), 14);
    const loaded = entropy([0.5, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(loaded).toBeCloseTo(0.5 + 0.5 * Math.log2(10), 14);
    expect(loaded).toBeLessThan(Math.log2(6));
  });
  it('0·log 0 = 0: a certain outcome has zero entropy', () => {
    expect(entropy([1, 0, 0])).toBe(0);
    expect(binaryEntropy(0)).toBe(0);
    expect(binaryEntropy(0.5)).toBe(1);
  });
});

describe('entropy: bad input is named', () => {
  it.each([
    [[], /empty/],
    [[0.5, -0.1, 0.6], /p\[1\] is negative/],
    [[0.5, NaN], /p\[1\] is not a number/],
    [[0.5, 0.6], /sums to 1.1/],
    [[0.5, 0.5 + 2e-9], /sums to/],
  ])('entropy(%j) throws', (p, msg) => {
    expect(() => entropy(p as number[])).toThrow(RangeError);
    expect(() => entropy(p as number[])).toThrow(msg);
  });
  it('accepts sums within the 1e-9 tolerance', () => {
    expect(entropy([0.5, 0.5 + 5e-10])).toBeCloseTo(1, 8);
  });
  it('rejects ragged and empty joints, and a bad base', () => {
    expect(() => jointEntropy([[0.5, 0.25], [0.25]])).toThrow(/ragged: row 1/);
    expect(() => mutualInformation([])).toThrow(/empty/);
    expect(() => mutualInformation([[]])).toThrow(/empty/);
    expect(() => entropy([1], 1)).toThrow(/base/);
    expect(() => klDivergence([1, 0], [1])).toThrow(/2 outcomes but q has 1/);
  });
});

describe('mutual information identities', () => {
  const rng = new Rng(7);
  const tables = Array.from({ length: 25 }, (_, k) => randomJoint(rng, 1 + (k % 6), 1 + ((k * 5) % 6)));

  it('I = H(X) − H(X|Y) = H(X) + H(Y) − H(X,Y) = KL(P_XY ‖ P_X P_Y), matching the slow loop', () => {
    for (const t of tables) {
      const hx = entropy(marginalX(t));
      const hy = entropy(marginalY(t));
      const mi = mutualInformation(t);
      expect(mi).toBeCloseTo(slowMi(t), 12);
      expect(mi).toBeCloseTo(hx - conditionalEntropy(t), 12);
      expect(mi).toBeCloseTo(hx + hy - jointEntropy(t), 12);
      expect(mi).toBeCloseTo(klDivergence(t.flat(), productOfMarginals(t).flat()), 12);
      expect(mi).toBeGreaterThanOrEqual(0);
      expect(mi).toBeLessThanOrEqual(Math.min(hx, hy) + 1e-12);
    }
  });
  it('is symmetric: I(X;Y) = I(Y;X), and H(Y|X) from the transpose', () => {
    for (const t of tables) {
      const tt = t[0].map((_, j) => t.map((r) => r[j]));
      expect(mutualInformation(tt)).toBeCloseTo(mutualInformation(t), 12);
      expect(conditionalEntropy(tt)).toBeCloseTo(jointEntropy(t) - entropy(marginalX(t)), 12);
    }
  });
  it('independence gives exactly 0; identical variables give H(X)', () => {
    const px = [0.2, 0.3, 0.5];
    const py = [0.6, 0.4];
    expect(mutualInformation(px.map((a) => py.map((b) => a * b)))).toBeCloseTo(0, 15);
    const same = px.map((a, i) => px.map((_, j) => (i === j ? a : 0)));
    expect(mutualInformation(same)).toBeCloseTo(entropy(px), 14);
    expect(conditionalEntropy(same)).toBe(0);
  });
  it('is additive over independent pairs: I((X1,X2);(Y1,Y2)) = I(X1;Y1) + I(X2;Y2)', () => {
    const a = tables[7];
    const b = tables[11];
    // joint over x = (x1, x2), y = (y1, y2): P = Pa(x1, y1) Pb(x2, y2)
    const prod: number[][] = [];
    for (const ra of a) for (const rb of b) prod.push(ra.flatMap((va) => rb.map((vb) => va * vb)));
    const s = prod.flat().reduce((x, y) => x + y, 0);
    expect(mutualInformation(prod.map((r) => r.map((v) => v / s)))).toBeCloseTo(mutualInformation(a) + mutualInformation(b), 11);
  });
});

describe('KL divergence', () => {
  it('is 0 for equal distributions, positive otherwise, ∞ where q = 0 < p', () => {
    expect(klDivergence([0.3, 0.7], [0.3, 0.7])).toBe(0);
    expect(klDivergence([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.5 * Math.log2(0.5 / 0.9) + 0.5 * Math.log2(0.5 / 0.1), 14);
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Infinity);
    expect(klDivergence([1, 0], [0.5, 0.5])).toBe(1);
  });
});
