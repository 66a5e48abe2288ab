import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { BN_EPS, ParamBank, batchNorm, createBatchNorm } from './params';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('BatchNorm with a written-out gradient (the fast step)', () => {
  for (const shape of [[4, 3, 3, 5], [6, 1, 1, 8]] as [number, number, number, number][]) {
    it(`matches the autodiff BatchNorm in output, statistics and every gradient to 1e-4 (${shape.join('×')})`, () => {
      const rng = new Rng(shape[1] * 10 + shape[3]);
      const bank = new ParamBank(rng);
      const bn = createBatchNorm(bank, 'bn', shape[3]);
      const C = shape[3];
      bn.gamma.assign(tf.tensor1d(Array.from({ length: C }, () => rng.uniform(0.5, 2))));
      bn.beta.assign(tf.tensor1d(Array.from({ length: C }, () => rng.uniform(-1, 1))));
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(Float32Array.from({ length: n }, () => 3 * rng.normal() + 1), shape);
      const up = tf.tensor4d(Float32Array.from({ length: n }, () => rng.normal()), shape); // uneven upstream gradient
      const run = (fused: boolean) => {
        const stats: tf.Tensor[] = [];
        const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const p = { ...bn, gamma: g as tf.Variable, beta: b as tf.Variable };
          const out = tf.sum(tf.mul(batchNorm(xi as tf.Tensor4D, p, true, stats, fused), up)) as tf.Scalar;
          return out;
        };
        const own: tf.Tensor[] = [];
        const y = tf.tidy(() => batchNorm(x, bn, true, own, fused));
        tf.dispose(own);
        const grads = tf.grads(f)([x, bn.gamma, bn.beta]);
        const res = { y: y.dataSync(), grads: grads.map((g) => g.dataSync()), stats: stats.map((s) => s.dataSync()) };
        tf.dispose([y, ...grads, ...stats]);
        return res;
      };
      run(true); // the first call caches its scalar constants
      const before = tf.memory().numTensors;
      const ref = run(false), fast = run(true);
      expect(tf.memory().numTensors).toBe(before); // the kept statistics are the caller's to free, and nothing else leaks
      expect(maxDiff(fast.y, ref.y)).toBeLessThan(1e-4);
      ref.grads.forEach((g, i) => expect(maxDiff(fast.grads[i], g), `gradient ${['x', 'gamma', 'beta'][i]}`).toBeLessThan(1e-4));
      ref.stats.forEach((s, i) => expect(maxDiff(fast.stats[i], s), `statistic ${i}`).toBeLessThan(1e-4));

      // and the output against float64 loops: (x − μ)/√(σ² + ε)·γ + β per channel
      const xv = x.dataSync(), gv = bn.gamma.dataSync(), bv = bn.beta.dataSync();
      const rows = n / C;
      for (let c = 0; c < C; c++) {
        let mu = 0, v = 0;
        for (let r = 0; r < rows; r++) mu += xv[r * C + c] / rows;
        for (let r = 0; r < rows; r++) v += (xv[r * C + c] - mu) ** 2 / rows;
        for (let r = 0; r < rows; r++) expect(Math.abs(fast.y[r * C + c] - ((xv[r * C + c] - mu) / Math.sqrt(v + BN_EPS)) * gv[c] - bv[c])).toBeLessThan(1e-4);
      }
    });
  }
});
