import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { dimEstimate, dimObjective } from './dim';
import { nceScores, softClip } from './loss';

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
  it('scores r1 against the r7 locations (local) and the pooled map (global)', async () => {
    const rng = new Rng(5);
    const B = 3;
    const D = 6;
    const f = {
      r1: tf.tensor4d(Array.from({ length: B * D }, () => rng.normal()), [B, 1, 1, D]),
      r5: tf.zeros([B, 5, 5, D]) as tf.Tensor4D,
      r7: tf.tensor4d(Array.from({ length: B * 49 * D }, () => rng.normal()), [B, 7, 7, D]),
    };
    const u = tf.reshape(f.r1, [B, D]) as tf.Tensor2D;
    const local = tf.reshape(f.r7, [B, 49, D]) as tf.Tensor3D;
    const wantLocal = (await dimEstimate(softClip(nceScores(u, local), 20), 'jsd').data())[0];
    const wantGlobal = (await dimEstimate(softClip(nceScores(u, tf.mean(local, 1, true) as tf.Tensor3D), 20), 'jsd').data())[0];
    const L = dimObjective(f, { mode: 'local', estimator: 'jsd', tclip: 20 });
    expect((await L.estimate.data())[0]).toBeCloseTo(wantLocal, 5);
    expect((await L.loss.data())[0]).toBeCloseTo(-wantLocal, 5);
    const G = dimObjective(f, { mode: 'global', estimator: 'jsd', tclip: 20 });
    expect((await G.estimate.data())[0]).toBeCloseTo(wantGlobal, 5);
    const both = dimObjective(f, { mode: 'both', estimator: 'jsd', tclip: 20 });
    expect((await both.loss.data())[0]).toBeCloseTo(-(wantLocal + 0.5 * wantGlobal), 5);
    tf.dispose([...Object.values(f), u, local, L.loss, L.estimate, G.loss, G.estimate, both.loss, both.estimate]);
  });
});
