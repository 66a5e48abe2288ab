import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { convKxKFast, filterGradMM, im2col } from './fastconv';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** The obvious loops: dW[a, b, c, o] = Σ_{n, i, j} x[n, s·i + a, s·j + b, c] · dy[n, i, j, o]. */
function filterGradLoops(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, s: number): Float64Array {
  const [B, H, W, C] = x.shape, [, Ho, Wo, O] = dy.shape;
  const xv = x.dataSync(), gv = dy.dataSync();
  const dw = new Float64Array(k * k * C * O);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) {
    let acc = 0;
    for (let n = 0; n < B; n++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++)
      acc += xv[((n * H + s * i + a) * W + s * j + b) * C + c] * gv[((n * Ho + i) * Wo + j) * O + o];
    dw[((a * k + b) * C + c) * O + o] = acc;
  }
  return dw;
}

// The encoder's k×k layers: stem 3×3 s1, block1 4×4 s2, block2 2×2 s2, 3×3 s1 on small maps.
const CASES: [string, number[], number, number, number][] = [
  ['3×3 s1 (stem)', [2, 10, 10, 3], 3, 1, 5],
  ['4×4 s2 (block1)', [2, 14, 14, 4], 4, 2, 6],
  ['2×2 s2 (block2)', [3, 8, 8, 5], 2, 2, 4],
  ['3×3 s1 on 5×5', [2, 5, 5, 6], 3, 1, 7],
];

describe('fast k×k convolution', () => {
  for (const [name, xs, k, s, O] of CASES) {
    it(`${name}: im2col · W equals conv2d, and both gradients equal tf.conv2d's to 1e-4`, () => {
      const rng = new Rng(k * 10 + s);
      const x = randn(rng, xs) as tf.Tensor4D;
      const w = randn(rng, [k, k, xs[3], O]) as tf.Tensor4D;
      const ref = tf.conv2d(x, w, s, 'valid');
      const y = convKxKFast(x, w, s);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
      const viaCols = tf.reshape(tf.matMul(im2col(x, k, s), tf.reshape(w, [k * k * xs[3], O])), ref.shape);
      expect(maxAbsDiff(viaCols, ref)).toBeLessThan(1e-4);

      // A non-uniform upstream gradient, so every position of dy matters.
      const up = randn(rng, ref.shape);
      const loss = (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), up));
      const [dxRef, dwRef] = tf.grads(loss((a, b) => tf.conv2d(a, b, s, 'valid')))([x, w]);
      const [dx, dw] = tf.grads(loss((a, b) => convKxKFast(a, b, s)))([x, w]);
      expect(maxAbsDiff(dx, dxRef)).toBeLessThan(1e-4);
      expect(maxAbsDiff(dw, dwRef)).toBeLessThan(1e-4);

      const loops = filterGradLoops(x, up as tf.Tensor4D, k, s);
      const mm = filterGradMM(x, up as tf.Tensor4D, w.shape, s).dataSync();
      let m = 0;
      for (let i = 0; i < loops.length; i++) m = Math.max(m, Math.abs(loops[i] - mm[i]));
      expect(m).toBeLessThan(1e-4);
    });
  }

  it('skips the input gradient of a constant input (the stem) and keeps the filter gradient', async () => {
    const rng = new Rng(5);
    const x = randn(rng, [2, 10, 10, 3]) as tf.Tensor4D;
    const w = randn(rng, [3, 3, 3, 5]) as tf.Tensor4D;
    const up = randn(rng, [2, 8, 8, 5]);
    const [dwRef] = tf.grads((b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, b as tf.Tensor4D, 1, 'valid'), up)))([w]);
    const prof = await tf.profile(() => {
      const [dw] = tf.grads((b: tf.Tensor) => tf.sum(tf.mul(convKxKFast(x, b as tf.Tensor4D, 1, false), up)))([w]);
      expect(maxAbsDiff(dw, dwRef)).toBeLessThan(1e-4);
    });
    expect(prof.kernels.map((k) => k.name)).not.toContain('Conv2DBackpropInput');
    const withInput = await tf.profile(() => {
      tf.grads((b: tf.Tensor) => tf.sum(tf.mul(convKxKFast(x, b as tf.Tensor4D, 1), up)))([w]);
    });
    expect(withInput.kernels.map((k) => k.name)).toContain('Conv2DBackpropInput');
  });

  it('builds the im2col index once per shape, not once per call', () => {
    const x = tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
    im2col(x, 3, 1).dispose();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      im2col(x, 3, 1);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
