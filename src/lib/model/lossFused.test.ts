import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { Features } from './encoder';
import { amdimLoss, type AmdimLoss } from './loss';
import { amdimLossFused } from './lossFused';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function features(rng: Rng, B: number, D: number, scale: number): Features {
  const map = (t: number) => tf.tensor4d(Float32Array.from({ length: B * t * t * D }, () => scale * rng.normal()), [B, t, t, D]);
  return { r1: map(1), r5: map(5), r7: map(7) };
}

const KEYS: (keyof AmdimLoss)[] = ['loss1t5', 'loss1t7', 'loss5t5', 'reg', 'total', 'nceEst1t5', 'nceEst1t7', 'nceEst5t5', 'bound1t5', 'bound1t7', 'bound5t5'];

describe('amdimLossFused (one matmul for all pairs)', () => {
  // scale 8 pushes scores past tclip 5, so the soft clip is exercised too.
  for (const [B, D, scale, tclip] of [[3, 6, 1, 20], [5, 8, 8, 5], [4, 5, 2, Infinity]] as const) {
    it(`equals amdimLoss in value and in gradient to 1e-4 (B ${B}, D ${D}, tclip ${tclip})`, () => {
      const rng = new Rng(B * 100 + D);
      const a = features(rng, B, D, scale), b = features(rng, B, D, scale);
      const src5: [Int32Array, Int32Array] = [Int32Array.from({ length: B }, () => rng.int(25)), Int32Array.from({ length: B }, () => rng.int(25))];
      const ref = amdimLoss(a, b, { tclip, src5 });
      const fast = amdimLossFused(a, b, { tclip, src5 });
      for (const k of KEYS) expect(Math.abs(fast[k].dataSync()[0] - ref[k].dataSync()[0]), k).toBeLessThan(1e-4);

      const inputs = [a.r1, a.r5, a.r7, b.r1, b.r5, b.r7];
      const asFeatures = (t: tf.Tensor[]): [Features, Features] => [
        { r1: t[0] as tf.Tensor4D, r5: t[1] as tf.Tensor4D, r7: t[2] as tf.Tensor4D },
        { r1: t[3] as tf.Tensor4D, r5: t[4] as tf.Tensor4D, r7: t[5] as tf.Tensor4D },
      ];
      // The total, and an uneven mix of the terms, so each term's gradient is checked on its own route.
      const objectives: [string, (l: AmdimLoss) => tf.Scalar][] = [
        ['total', (l) => l.total],
        ['mix', (l) => tf.addN([tf.mul(l.loss1t5, 1), tf.mul(l.loss1t7, -2), tf.mul(l.loss5t5, 3), tf.mul(l.reg, 7), tf.mul(l.nceEst1t7, 0.5)]) as tf.Scalar],
      ];
      for (const [name, pick] of objectives) {
        const gRef = tf.grads((...t: tf.Tensor[]) => pick(amdimLoss(...asFeatures(t), { tclip, src5 })))(inputs);
        const gFast = tf.grads((...t: tf.Tensor[]) => pick(amdimLossFused(...asFeatures(t), { tclip, src5 })))(inputs);
        gRef.forEach((g, i) => {
          const x = g.dataSync(), y = gFast[i].dataSync();
          let m = 0, norm = 0;
          for (let j = 0; j < x.length; j++) (m = Math.max(m, Math.abs(x[j] - y[j]))), (norm = Math.max(norm, Math.abs(x[j])));
          expect(m, `${name}: gradient ${i}`).toBeLessThan(1e-4);
          expect(norm, `${name}: gradient ${i} is not trivially zero`).toBeGreaterThan(1e-6);
        });
      }
    });
  }

  it('rejects a bad source location with the same message as amdimLoss', () => {
    const rng = new Rng(1);
    const a = features(rng, 2, 4, 1), b = features(rng, 2, 4, 1);
    expect(() => amdimLossFused(a, b, { src5: [[0, 25], [0, 0]] })).toThrow(/src5\[0\]\[1\] = 25/);
  });
});
