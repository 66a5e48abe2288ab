import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { BOUNDS, BOUNDS_T, ESTIMATORS, dv, infoNce, js, jsReadout, jsReadoutT, nwj, type Estimator } from './bounds';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomScores(rng: Rng, K: number, scale: number, signal: number): number[][] {
  return Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => scale * rng.normal() + (i === j ? signal : 0)));
}

/** The formulas of SCIENCE.md §2 with plain exp/log: no shifting, only valid for moderate scores. */
const slow: Record<Estimator, (S: number[][]) => number> = {
  infonce(S) {
    const K = S.length;
    let s = 0;
    for (let i = 0; i < K; i++) {
      let z = 0;
      for (let j = 0; j < K; j++) z += Math.exp(S[i][j]);
      s += Math.log(Math.exp(S[i][i]) / z);
    }
    return Math.log(K) + s / K;
  },
  nwj(S) {
    const K = S.length;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        if (i === j) pos += S[i][i];
        else neg += Math.exp(S[i][j] - 1);
      }
    return pos / K - neg / (K * (K - 1));
  },
  dv(S) {
    const K = S.length;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        if (i === j) pos += S[i][i];
        else neg += Math.exp(S[i][j]);
      }
    return pos / K - Math.log(neg / (K * (K - 1)));
  },
  js(S) {
    const K = S.length;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        if (i === j) pos += -Math.log(1 + Math.exp(-S[i][i]));
        else neg += Math.log(1 + Math.exp(S[i][j]));
      }
    return pos / K - neg / (K * (K - 1));
  },
};

describe('MI bounds on score matrices', () => {
  const rng = new Rng(11);
  const cases = [2, 3, 8, 33].flatMap((K) => [0, 2, 6].map((signal) => randomScores(rng, K, 1.5, signal)));

  it.each(ESTIMATORS)('%s matches the slow loop-based formula', (e) => {
    for (const S of cases) expect(BOUNDS[e](S)).toBeCloseTo(slow[e](S), 10);
  });

  it('ordering: InfoNCE ≤ log K, NWJ ≤ DV, JS ≤ 0', () => {
    for (const S of cases) {
      const K = S.length;
      expect(infoNce(S)).toBeLessThanOrEqual(Math.log(K) + 1e-12);
      expect(nwj(S)).toBeLessThanOrEqual(dv(S) + 1e-12);
      expect(js(S)).toBeLessThanOrEqual(0);
    }
  });

  it('a perfect critic saturates InfoNCE at log K while DV keeps growing', () => {
    const K = 16;
    const S = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 50 : 0)));
    expect(infoNce(S)).toBeCloseTo(Math.log(K), 10);
    expect(dv(S)).toBeCloseTo(50, 10);
    expect(jsReadout(S)).toBeCloseTo(slow.nwj(S.map((r) => r.map((v) => v + 1))), 10);
  });

  it('uninformative scores (all equal) give InfoNCE = NWJ = DV = 0 at the optimum constant', () => {
    const K = 5;
    expect(infoNce(Array.from({ length: K }, () => new Array(K).fill(3)))).toBeCloseTo(0, 14);
    expect(dv(Array.from({ length: K }, () => new Array(K).fill(3)))).toBeCloseTo(0, 14);
    expect(nwj(Array.from({ length: K }, () => new Array(K).fill(1)))).toBeCloseTo(0, 14);
  });

  it('stays finite (never NaN) for scores of ±1000', () => {
    const K = 6;
    const big = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1000 : -1000)));
    const hot = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => ((i + j) % 2 ? 1000 : -1000)));
    expect(infoNce(big)).toBeCloseTo(Math.log(K), 10);
    expect(dv(big)).toBeCloseTo(2000, 8);
    expect(nwj(big)).toBeCloseTo(1000, 8);
    expect(js(big)).toBeCloseTo(0, 8);
    for (const e of ESTIMATORS) expect(Number.isNaN(BOUNDS[e](hot))).toBe(false);
    expect(Number.isFinite(infoNce(hot)) && Number.isFinite(dv(hot)) && Number.isFinite(js(hot))).toBe(true);
    // e^{999} overflows a double: NWJ's exact value rounds to −∞, not NaN.
    expect(nwj(hot)).toBe(-Infinity);
  });

  it('names bad input', () => {
    expect(() => infoNce([[1]])).toThrow(/K ≥ 2/);
    expect(() => dv([[1, 2], [3]])).toThrow(/row 1 has 1 entries/);
    expect(() => js([[1, NaN], [0, 0]])).toThrow(/S\[0\]\[1\]/);
  });
});

describe('tensor bounds match the array versions', () => {
  const rng = new Rng(5);
  it.each(ESTIMATORS)('%s', async (e) => {
    for (const K of [2, 7, 32]) {
      const S = randomScores(rng, K, 2, 3);
      const t = tf.tensor2d(S);
      const v = BOUNDS_T[e](t);
      expect((await v.data())[0]).toBeCloseTo(BOUNDS[e](S), 4);
      t.dispose();
      v.dispose();
    }
  });

  it('JS readout tensor matches the array version', async () => {
    const S = randomScores(rng, 9, 1, 2);
    const v = jsReadoutT(tf.tensor2d(S));
    expect((await v.data())[0]).toBeCloseTo(jsReadout(S), 4);
  });

  it('values and gradients stay finite at ±1000 (float32)', async () => {
    const K = 4;
    const S = tf.tensor2d(Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1000 : -1000))));
    for (const e of ['infonce', 'dv', 'js'] as const) {
      const g = tf.grad((s: tf.Tensor) => BOUNDS_T[e](s as tf.Tensor2D))(S);
      const val = (await BOUNDS_T[e](S).data())[0];
      expect(val).toBeCloseTo(BOUNDS[e](S.arraySync() as number[][]), 2);
      for (const x of await g.data()) expect(Number.isFinite(x)).toBe(true);
    }
  });

  it('gradient of InfoNCE matches a finite difference of the array version', async () => {
    const K = 5;
    const S = randomScores(rng, K, 1, 1);
    const g = await tf.grad((s: tf.Tensor) => BOUNDS_T.infonce(s as tf.Tensor2D))(tf.tensor2d(S)).array() as number[][];
    const h = 1e-5;
    for (const [i, j] of [[0, 0], [1, 3], [4, 2]]) {
      const up = S.map((r) => [...r]);
      const dn = S.map((r) => [...r]);
      up[i][j] += h;
      dn[i][j] -= h;
      expect(g[i][j]).toBeCloseTo((infoNce(up) - infoNce(dn)) / (2 * h), 4);
    }
  });
});
