import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from './fixtures/resample_fixture.json';
import { bicubicRows, cubic, normalizeInput, resampleBatch, testView } from './resample';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Largest |a − b| in units of 1/255. */
function maxDiff255(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]) * 255);
  return m;
}

describe('bicubic resampling against PIL', () => {
  it('the kernel is PIL\'s (a = −0.5): 1 at 0, 0 at the integers, partition of unity', () => {
    expect(cubic(0)).toBe(1);
    for (const x of [1, 2, -1, -2, 2.5]) expect(Math.abs(cubic(x))).toBe(0);
    for (const t of [0.1, 0.37, 0.5]) expect(cubic(t) + cubic(t - 1) + cubic(t + 1) + cubic(t - 2)).toBeCloseTo(1, 12);
    expect(cubic(0.5)).toBeCloseTo(0.5625, 12);
  });

  it('matches PIL\'s crop + resize(BICUBIC) for integer boxes to 8-bit rounding', async () => {
    const S = 12;
    const img = tf.tensor4d(fixture.small.flat(2).map((v) => v / 255), [1, S, S, 3]);
    for (const { box, out } of fixture.crops) {
      const [top, left, h, w] = box;
      const got = resampleBatch(img, bicubicRows(S, top, h, S), bicubicRows(S, left, w, S), S);
      expect(maxDiff255(await got.data(), out.flat(2).map((v) => v / 255)), `box ${box}`).toBeLessThan(1.6);
      got.dispose();
    }
    // The whole image at its own size is the identity.
    const id = bicubicRows(S, 0, S, S);
    for (let k = 0; k < S; k++) for (let j = 0; j < S; j++) expect(id[k * S + j]).toBeCloseTo(k === j ? 1 : 0, 12);
    img.dispose();
  });

  it('the 64 px test view is Resize(70) + CenterCrop(64) as PIL/torchvision do it', async () => {
    const x = tf.tensor4d(fixture.big.map((v) => v / 255), [1, 64, 64, 3]);
    const v = testView(x);
    expect(v.shape).toEqual([1, 64, 64, 3]);
    const all = await v.data();
    const rows = fixture.testRows.flatMap((r) => Array.from(all.subarray(r * 64 * 3, (r + 1) * 64 * 3)));
    expect(maxDiff255(rows, fixture.test.flat(2).map((t) => t / 255))).toBeLessThan(1.6);
    // 32 px images (CIFAR-10) are used as they are.
    const small = tf.randomUniform([2, 32, 32, 3]) as tf.Tensor4D;
    expect(testView(small)).toBe(small);
    tf.dispose([x, v, small]);
  });

  it('rows of every resampling matrix sum to 1 and stay inside the window', () => {
    const m = bicubicRows(20, 4, 9, 16);
    for (let k = 0; k < 16; k++) {
      let sum = 0;
      for (let j = 0; j < 20; j++) {
        if (j < 4 || j >= 13) expect(m[k * 20 + j]).toBe(0);
        sum += m[k * 20 + j];
      }
      expect(sum).toBeCloseTo(1, 6);
    }
    expect(() => bicubicRows(10, 5, 6, 10)).toThrow(/outside/);
  });

  it('normalises 64 px inputs with the STL-10 statistics and leaves 32 px alone', async () => {
    const x = tf.fill([1, 64, 64, 3], 0.43) as tf.Tensor4D;
    const n = normalizeInput(x);
    const v = await n.data();
    expect(v[0]).toBeCloseTo(0, 6);
    expect(v[1]).toBeCloseTo((0.43 - 0.42) / 0.26, 6);
    const y = tf.fill([1, 32, 32, 3], 0.5) as tf.Tensor4D;
    expect(normalizeInput(y)).toBe(y);
    tf.dispose([x, n, y]);
  });
});
