import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createDimGlobalNet, dimEstimate, dimObjective } from './dim';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const softplus = (x: number) => Math.log1p(Math.exp(x));

/** Estimators written out over s[i][j][l]: positives j = i, negatives j ≠ i. */
function reference(s: number[][][], est: 'nce' | 'jsd' | 'dv'): number {
  const B = s.length;
  const T = s[0][0].length;
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) for (let l = 0; l < T; l++) (i === j ? pos : neg).push(s[i][j][l]);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  if (est === 'jsd') return mean(pos.map((p) => -softplus(-p))) - mean(neg.map(softplus)) + Math.log(4);
  if (est === 'dv') return mean(pos) - Math.log(mean(neg.map(Math.exp)));
  let loss = 0;
  for (let i = 0; i < B; i++) {
    let negSum = 0;
    for (let j = 0; j < B; j++) if (j !== i) for (let l = 0; l < T; l++) negSum += Math.exp(s[i][j][l]);
    for (let l = 0; l < T; l++) loss += -Math.log(Math.exp(s[i][i][l]) / (Math.exp(s[i][i][l]) + negSum));
  }
  return Math.log(1 + (B - 1) * T) - loss / (B * T);
}

describe('dimEstimate', () => {
  for (const est of ['nce', 'jsd', 'dv'] as const) {
    it(`${est} matches the loop reference`, async () => {
      const rng = new Rng(est.length);
      const s = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => 3 * rng.normal())));
      const t = tf.tensor3d(s);
      const got = (await dimEstimate(t, est).data())[0];
      expect(Math.abs(got - reference(s, est))).toBeLessThan(1e-4 * Math.max(1, Math.abs(reference(s, est))));
      t.dispose();
    });
  }
});

describe('dimObjective', () => {
  it('scores r1 against the r7 locations (local) and the globally encoded map (global) with plain dot products', async () => {
    const rng = new Rng(5);
    const B = 3;
    const D = 4;
    const r1 = Array.from({ length: B * D }, () => 0.5 * rng.normal());
    const r7 = Array.from({ length: B * 49 * D }, () => 0.5 * rng.normal());
    const f = {
      r1: tf.tensor4d(r1, [B, 1, 1, D]),
      r5: tf.zeros([B, 5, 5, D]) as tf.Tensor4D,
      r7: tf.tensor4d(r7, [B, 7, 7, D]),
    };
    // s[i][j][l] = Σ_d u_i,d · v_j,l,d, written out
    const dot = (v: number[], T: number) =>
      Array.from({ length: B }, (_, i) =>
        Array.from({ length: B }, (_, j) =>
          Array.from({ length: T }, (_, l) => {
            let s = 0;
            for (let d = 0; d < D; d++) s += r1[i * D + d] * v[(j * T + l) * D + d];
            return s;
          }),
        ),
      );
    const wantLocal = reference(dot(r7, 49), 'jsd');
    const net = createDimGlobalNet(D, new Rng(6));
    const g = Array.from(await tf.tidy(() => net.apply(f.r7)).data());
    const wantGlobal = reference(dot(g, 1), 'jsd');
    const L = dimObjective(f, { mode: 'local', estimator: 'jsd' });
    expect((await L.estimate.data())[0]).toBeCloseTo(wantLocal, 4);
    expect((await L.loss.data())[0]).toBeCloseTo(-wantLocal, 4);
    const G = dimObjective(f, { mode: 'global', estimator: 'jsd' }, net);
    expect((await G.estimate.data())[0]).toBeCloseTo(wantGlobal, 4);
    const both = dimObjective(f, { mode: 'both', estimator: 'jsd' }, net);
    expect((await both.loss.data())[0]).toBeCloseTo(-(wantLocal + 0.5 * wantGlobal), 4);
    expect(() => dimObjective(f, { mode: 'global', estimator: 'jsd' })).toThrow(/needs the global network/);
    tf.dispose([...Object.values(f), L.loss, L.estimate, G.loss, G.estimate, both.loss, both.estimate]);
    net.dispose();
  });

  it('the global network is a valid 3×3 → 3×3 → linear convnet (checked against a loop)', async () => {
    const D = 2;
    const net = createDimGlobalNet(D, new Rng(7));
    const rng = new Rng(8);
    const x = Array.from({ length: 49 * D }, () => rng.normal());
    const W = Object.fromEntries(await Promise.all(Object.entries(net.namedWeights()).map(async ([k, v]) => [k, Array.from(await v.data())] as const)));
    const conv = (inp: number[], S: number, w: number[], b: number[]) => {
      const O = S - 2;
      const out = new Array(O * O * D).fill(0);
      for (let i = 0; i < O; i++)
        for (let j = 0; j < O; j++)
          for (let o = 0; o < D; o++) {
            let s = b[o];
            for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) for (let k = 0; k < D; k++) s += inp[((i + a) * S + j + c) * D + k] * w[((a * 3 + c) * D + k) * D + o];
            out[(i * O + j) * D + o] = Math.max(0, s);
          }
      return out;
    };
    const h = conv(conv(x, 7, W['global.conv1.weight'], W['global.conv1.bias']), 5, W['global.conv2.weight'], W['global.conv2.bias']);
    const want = Array.from({ length: D }, (_, o) => W['global.fc.bias'][o] + h.reduce((s, v, k) => s + v * W['global.fc.weight'][k * D + o], 0));
    const got = await tf.tidy(() => net.apply(tf.tensor4d(x, [1, 7, 7, D]))).data();
    want.forEach((v, o) => expect(got[o]).toBeCloseTo(v, 5));
    net.dispose();
  });
});
