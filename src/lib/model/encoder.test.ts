import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { applyRes, createEncoder, INPUT_MEAN, INPUT_STD } from './encoder';
import { BN_MOMENTUM, ParamBank, conv2dFilterGrad, convKxK } from './params';
import { encoderPlan, planWeights, type ResSpec } from './plan';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(rng: Rng, B: number, S: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: B * S * S * 3 }, () => rng.next()), [B, S, S, 3]);
}

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('encoder shapes', () => {
  for (const imageSize of [32, 64] as const) {
    it(`gives r1 (B,1,1,D), r5 (B,5,5,D), r7 (B,7,7,D) at ${imageSize} px, in both modes`, () => {
      const enc = createEncoder({ ndf: 4, nRkhs: 12, nDepth: 2, imageSize }, new Rng(1));
      const x = randomImages(new Rng(2), 3, imageSize);
      for (const training of [true, false]) {
        tf.tidy(() => {
          const { features, bnStats } = enc.forward(x, training);
          expect(features.r1.shape).toEqual([3, 1, 1, 12]);
          expect(features.r5.shape).toEqual([3, 5, 5, 12]);
          expect(features.r7.shape).toEqual([3, 7, 7, 12]);
          // one (mean, var) pair per BatchNorm: r1, head7, head5; none in eval mode
          expect(bnStats.length).toBe(training ? 6 : 0);
          expect(enc.embed(x, training).shape).toEqual([3, 12]);
        });
      }
      x.dispose();
      enc.dispose();
    });
  }

  it('rejects inputs of the wrong size with a message naming the expected shape', () => {
    const enc = createEncoder({ ndf: 2, nRkhs: 4, nDepth: 1, imageSize: 32 }, new Rng(1));
    const x = randomImages(new Rng(2), 2, 64);
    expect(() => enc.forward(x, true)).toThrow(/expected input \(B, 32, 32, 3\)/);
    x.dispose();
    enc.dispose();
    expect(() => createEncoder({ ndf: 0, nRkhs: 4, nDepth: 1, imageSize: 32 }, new Rng(1))).toThrow(/ndf/);
  });
});

describe('ResNxN', () => {
  // Slow reference: average-pool each k×k window, then widen with zeros or keep the first channels.
  function referenceShortcut(x: Float32Array, [B, H, W, C]: number[], k: number, s: number, nOut: number): Float64Array {
    const Ho = Math.floor((H - k) / s) + 1;
    const Wo = Math.floor((W - k) / s) + 1;
    const out = new Float64Array(B * Ho * Wo * nOut);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++)
          for (let c = 0; c < Math.min(C, nOut); c++) {
            let sum = 0;
            for (let a = 0; a < k; a++) for (let d = 0; d < k; d++) sum += x[((b * H + i * s + a) * W + j * s + d) * C + c];
            out[((b * Ho + i) * Wo + j) * nOut + c] = sum / (k * k);
          }
    return out;
  }

  for (const [nIn, nOut, k, s] of [
    [3, 5, 4, 2],
    [6, 6, 3, 1],
    [6, 4, 3, 1],
    [4, 4, 1, 1],
  ]) {
    it(`starts as its shortcut (${nIn}→${nOut}, k${k} s${s})`, async () => {
      const spec: ResSpec = { name: 'l', nIn, nOut, k, s, inSize: 9, outSize: Math.floor((9 - k) / s) + 1, bn: false };
      const bank = new ParamBank(new Rng(3));
      bank.create({ name: 'l.conv1.weight', shape: k === 1 ? [nIn, nOut] : [k, k, nIn, nOut], init: { kind: 'uniform', bound: 0.5 }, trainable: true });
      bank.create({ name: 'l.conv2.weight', shape: [nOut, nOut], init: { kind: 'const', value: 0 }, trainable: true });
      const x = randomTensor(new Rng(4), [2, 9, 9, nIn]) as tf.Tensor4D;
      const y = applyRes(spec, x, (n) => bank.named[n], () => {
        throw new Error('no BatchNorm in this layer');
      });
      const ref = referenceShortcut((await x.data()) as Float32Array, x.shape, k, s, nOut);
      expect(maxAbsDiff(await y.data(), ref)).toBeLessThan(1e-6);
      tf.dispose([x, y, ...bank.trainable]);
    });
  }

  it('a fresh encoder trunk passes the pooled input through (zero-init residuals)', async () => {
    // Every residual branch ends in a zero conv, so after the stem the trunk is pure pooling and padding:
    // the 7×7 map's first ndf channels are window averages of the stem output.
    const enc = createEncoder({ ndf: 3, nRkhs: 16, nDepth: 2, imageSize: 32 }, new Rng(5)); // nRkhs ≥ 4·ndf: identity shortcut
    const x = randomImages(new Rng(6), 2, 32);
    const stem = tf.tidy(() => {
      const w = enc.namedWeights()['stem.conv.weight'] as unknown as tf.Tensor4D;
      const h = tf.div(tf.sub(x, INPUT_MEAN), INPUT_STD) as tf.Tensor4D;
      return tf.relu(tf.add(tf.conv2d(h, w, 1, 'valid'), enc.namedWeights()['stem.conv.bias'])) as tf.Tensor4D; // (2, 30, 30, 3)
    });
    // 30 →(avg 4, s 2)→ 14 →(avg 2, s 2)→ 7 →(avg 3)→ 5
    const pooled5 = tf.tidy(() => tf.avgPool(tf.avgPool(tf.avgPool(stem, 4, 2, 'valid'), 2, 2, 'valid'), 3, 1, 'valid'));
    const m5 = tf.tidy(() => enc.forward(x, false).features.r5);
    expect(m5.shape).toEqual([2, 5, 5, 16]);
    // With running stats (0, 1) the eval BN is ×1/√(1+ε); the head's shortcut is identity ± 0.01 noise plus its bias.
    const got = (await m5.data()) as Float32Array;
    const bias = (await enc.namedWeights()['head5.shortcut.bias'].data()) as Float32Array;
    for (let p = 0; p < 2 * 25; p++) for (let c = 0; c < 16; c++) got[p * 16 + c] -= bias[c];
    const want = (await pooled5.data()) as Float32Array;
    let worst = 0;
    for (let p = 0; p < 2 * 25; p++)
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(got[p * 16 + c] - want[p * 3 + c]) / (Math.abs(want[p * 3 + c]) + 0.1));
    expect(worst).toBeLessThan(0.15);
    tf.dispose([x, stem, pooled5, m5]);
    enc.dispose();
  });
});

describe('CPU convolution with the fast filter gradient', () => {
  it('matches tf.conv2d and its gradients', async () => {
    const rng = new Rng(7);
    for (const [k, s] of [
      [3, 1],
      [4, 2],
      [2, 2],
    ]) {
      const x = randomTensor(rng, [2, 10, 10, 3]) as tf.Tensor4D;
      const w = randomTensor(rng, [k, k, 3, 5]) as tf.Tensor4D;
      const f = (conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, b as tf.Tensor4D))))([x, w]);
      const fast = f((a, b) => convKxK(a, b, s));
      const slow = f((a, b) => tf.conv2d(a, b, s, 'valid'));
      for (let i = 0; i < 2; i++) {
        const ref = await slow[i].data();
        const scale = Math.max(...Array.from(ref, Math.abs));
        expect(maxAbsDiff(await fast[i].data(), ref) / scale).toBeLessThan(1e-5);
      }
      expect(maxAbsDiff(await convKxK(x, w, s).data(), await tf.conv2d(x, w, s, 'valid').data())).toBeLessThan(1e-5);
      const dy = randomTensor(rng, tf.conv2d(x, w, s, 'valid').shape) as tf.Tensor4D;
      expect(conv2dFilterGrad(x, dy, w.shape, s).shape).toEqual(w.shape);
      tf.dispose([x, w, dy, ...fast, ...slow]);
    }
  });
});

describe('encoder weights', () => {
  it('are named, in a stable order, and identical for the same seed', async () => {
    const opts = { ndf: 4, nRkhs: 8, nDepth: 2, imageSize: 32 } as const;
    const a = createEncoder(opts, new Rng(11));
    const b = createEncoder(opts, new Rng(11));
    const c = createEncoder(opts, new Rng(12));
    const na = a.namedWeights();
    expect(Object.keys(na)).toEqual(Object.keys(b.namedWeights()));
    expect(Object.values(na).filter((v) => v.trainable)).toEqual(a.trainable);
    expect(a.nonTrainable.length).toBe(6); // running mean and var of 3 BatchNorms
    expect(Object.keys(na)).toContain('block1.0.conv1.weight');
    let same = true;
    let differs = false;
    for (const [name, v] of Object.entries(na)) {
      const va = await v.data();
      if (maxAbsDiff(va, await b.namedWeights()[name].data()) !== 0) same = false;
      if (maxAbsDiff(va, await c.namedWeights()[name].data()) !== 0) differs = true;
    }
    expect(same).toBe(true);
    expect(differs).toBe(true);
    [a, b, c].forEach((e) => e.dispose());
  });

  it('updates BatchNorm running statistics with momentum 0.1 and the unbiased variance', async () => {
    const enc = createEncoder({ ndf: 2, nRkhs: 4, nDepth: 1, imageSize: 32 }, new Rng(13));
    const x = randomImages(new Rng(14), 5, 32);
    const before = await Promise.all(enc.nonTrainable.map((v) => v.data()));
    const { r1, stats } = tf.tidy(() => {
      const out = enc.forward(x, true);
      return { r1: out.features.r1, stats: out.bnStats };
    });
    const mean = (await stats[0].data()) as Float32Array;
    const varU = (await stats[1].data()) as Float32Array;
    enc.updateRunningStats(stats);
    const after = await Promise.all(enc.nonTrainable.map((v) => v.data()));
    for (let c = 0; c < 4; c++) {
      expect(after[0][c]).toBeCloseTo((1 - BN_MOMENTUM) * before[0][c] + BN_MOMENTUM * mean[c], 6);
      expect(after[1][c]).toBeCloseTo((1 - BN_MOMENTUM) * before[1][c] + BN_MOMENTUM * varU[c], 6);
    }
    // r1 after training-mode BN (β = 0): zero mean per channel over the batch
    const r = (await r1.data()) as Float32Array;
    for (let c = 0; c < 4; c++) {
      let m = 0;
      for (let b = 0; b < 5; b++) m += r[b * 4 + c] / 5;
      expect(Math.abs(m)).toBeLessThan(1e-5);
    }
    tf.dispose([x, r1, ...stats]);
    enc.dispose();
  });
});

describe('official AMDIM layout and init_weights', () => {
  const stats = async (v: tf.Variable) => {
    const d = (await v.data()) as Float32Array;
    return { maxAbs: Math.max(...Array.from(d, Math.abs)), n: d.length, d };
  };

  for (const imageSize of [32, 64] as const) {
    it(`draws every weight as the official code does (${imageSize} px)`, async () => {
      const opts = { ndf: 8, nRkhs: 64, nDepth: 2, imageSize };
      const enc = createEncoder(opts, new Rng(21));
      const w = enc.namedWeights();
      // k×k and first 1×1 convs: kaiming-uniform with a = √5, i.e. U(±1/√fan_in); the max of many draws is close to the bound
      for (const [name, fanIn] of [
        ['block1.0.conv1.weight', 16 * 8],
        ['block5.0.conv1.weight', 9 * (imageSize === 64 ? 64 : 32)],
        ['head7.conv1.weight', imageSize === 64 ? 64 : 32],
        ['stem.conv.weight', 27],
        ['stem.conv.bias', 27],
        ['head5.shortcut.bias', imageSize === 64 ? 64 : 32],
      ] as const) {
        const { maxAbs } = await stats(w[name]);
        expect(maxAbs, name).toBeLessThanOrEqual(1 / Math.sqrt(fanIn) + 1e-7);
        expect(maxAbs, name).toBeGreaterThan(0.6 / Math.sqrt(fanIn));
      }
      // residual closing convs and the heads' second conv start at zero
      for (const name of Object.keys(w).filter((n) => n.endsWith('conv2.weight'))) expect((await stats(w[name])).maxAbs, name).toBe(0);
      // head shortcut: identity on the overlapping channels, U(±0.01) elsewhere
      const sc = (await stats(w['head7.shortcut.weight'])).d;
      const nIn = imageSize === 64 ? 64 : 32;
      for (let i = 0; i < nIn; i++)
        for (let o = 0; o < 64; o++) {
          const v = sc[i * 64 + o];
          if (i === o) expect(v).toBe(1);
          else expect(Math.abs(v)).toBeLessThanOrEqual(0.01);
        }
      // no conv biases besides the stem's and the head shortcuts'
      expect(Object.keys(w).filter((n) => n.endsWith('.bias')).sort()).toEqual(['head5.shortcut.bias', 'head7.shortcut.bias', 'stem.conv.bias']);
      // the 64 px stem goes from the 3×3 conv straight into block1 (no stem.res)
      expect(Object.keys(w).some((n) => n.startsWith('stem.res'))).toBe(imageSize === 32);
      enc.dispose();
    });
  }

  it('useBn adds the body BatchNorms (bn1 per ResNxN, the 7×7 map, the heads’ hidden layer) and their statistics', () => {
    const opts = { ndf: 2, nRkhs: 8, nDepth: 2, imageSize: 32 as const };
    const off = createEncoder(opts, new Rng(1));
    const on = createEncoder({ ...opts, useBn: true }, new Rng(1));
    // stem.res, block1 ×2, block2 ×2, block5 ×2, block3x3 ×2, rkhs: 10 ResNxN; + bn7 + rkhs.bn + 2 × (bn_hid, bn_out)
    const nBn = 10 + 1 + 1 + 4;
    expect(on.nonTrainable.length).toBe(2 * nBn);
    expect(off.nonTrainable.length).toBe(2 * 3);
    expect(Object.keys(on.namedWeights())).toContain('bn7.gamma');
    expect(Object.keys(on.namedWeights())).toContain('block5.1.bn1.running_var');
    const x = randomImages(new Rng(2), 3, 32);
    tf.tidy(() => {
      const { bnStats } = on.forward(x, true);
      expect(bnStats.length).toBe(2 * nBn);
      on.updateRunningStats(bnStats);
      expect(planWeights(encoderPlan({ ...opts, useBn: true })).filter((s) => !s.trainable).length).toBe(2 * nBn);
    });
    tf.dispose(x);
    on.dispose();
    off.dispose();
  });
});
