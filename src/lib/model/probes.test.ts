import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createAdam } from '../train/optim';
import { createProbe, probeAccuracy, probeLoss } from './probes';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** CE(10·tanh(z/10)) over labels ≥ 0 plus 1e-3·mean(z²) over every logit, in float64 loops. */
function referenceLoss(z: number[][], labels: number[]): number {
  let ce = 0;
  let n = 0;
  let sq = 0;
  z.forEach((row, i) => {
    row.forEach((v) => (sq += v * v));
    if (labels[i] < 0) return;
    const c = row.map((v) => 10 * Math.tanh(v / 10));
    const lse = Math.log(c.reduce((acc, v) => acc + Math.exp(v), 0));
    ce += lse - c[labels[i]];
    n++;
  });
  return (n > 0 ? ce / n : 0) + (1e-3 * sq) / (z.length * z[0].length);
}

describe('probe loss and accuracy', () => {
  it('match the loop references, ignoring labels < 0, with logits large enough to be clipped', async () => {
    const rng = new Rng(1);
    const z = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => 15 * rng.normal()));
    const labels = [0, 3, -1, 2, 1, -1];
    const zt = tf.tensor2d(z);
    const lt = tf.tensor1d(labels, 'int32');
    expect((await probeLoss(zt, lt, 4).data())[0]).toBeCloseTo(referenceLoss(z, labels), 4);
    const hits = labels.filter((l, i) => l >= 0 && z[i].indexOf(Math.max(...z[i])) === l).length;
    expect((await probeAccuracy(zt, lt).data())[0]).toBeCloseTo(hits / 4, 6);
    const none = tf.tensor1d([-1, -1, -1, -1, -1, -1], 'int32');
    expect((await probeAccuracy(zt, none).data())[0]).toBe(0);
    expect((await probeLoss(zt, none, 4).data())[0]).toBeCloseTo(referenceLoss(z, [-1, -1, -1, -1, -1, -1]), 5);
    tf.dispose([zt, lt, none]);
  });
});

describe('createProbe', () => {
  for (const kind of ['linear', 'mlp'] as const) {
    it(`${kind}: logits have shape (B, classes), no gradient reaches the features, and it learns`, async () => {
      const rng = new Rng(2);
      const probe = createProbe(6, 3, new Rng(3), kind, 16);
      // three well separated clusters
      const n = 30;
      const labels = Array.from({ length: n }, (_, i) => i % 3);
      const feats = tf.tensor2d(labels.map((l) => Array.from({ length: 6 }, (_, d) => (d % 3 === l ? 2 : 0) + 0.3 * rng.normal())));
      const lt = tf.tensor1d(labels, 'int32');
      expect(probe.logits(feats).shape).toEqual([n, 3]);
      const gFeat = tf.grad((f: tf.Tensor) => probe.loss(f as tf.Tensor2D, lt))(feats);
      expect((await tf.abs(gFeat).max().data())[0]).toBe(0);
      const adam = createAdam(probe.trainable, { lr: 0.05, beta1: 0.8, beta2: 0.999, eps: 1e-8, weightDecay: 0, warmup: 0 });
      const first = (await probe.loss(feats, lt).data())[0];
      for (let t = 0; t < 30; t++) {
        const { value, grads } = tf.variableGrads(() => probe.loss(feats, lt), probe.trainable);
        adam.apply(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
      expect((await probe.loss(feats, lt).data())[0]).toBeLessThan(first * 0.5);
      expect((await probeAccuracy(probe.logits(feats), lt).data())[0]).toBe(1);
      adam.dispose();
      probe.dispose();
      tf.dispose([feats, lt, gFeat]);
    });
  }

  it('rejects a bad class count', () => {
    expect(() => createProbe(4, 1, new Rng(1))).toThrow(/at least 2 classes/);
  });
});
