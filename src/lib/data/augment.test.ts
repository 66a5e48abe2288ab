import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../config';
import { Rng } from '../rng';
import { LUMA, augmentPair, augmentPairFromBytes, colorMatrix, drawAugParams, type AugConfig, type AugParams } from './augment';
import { bicubicRows } from './resample';

const OFF: AugConfig = {
  ...DEFAULTS, flipP: 0, crop: 'none', translateP: 0, jitterP: 0, grayP: 0,
};
const B = 3, S = 12;

function randomBytes(n: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: n }, () => r.int(256));
}
const BYTES = randomBytes(B * S * S * 3, 9);
const X = () => tf.tensor4d(Float32Array.from(BYTES, (v) => v / 255), [B, S, S, 3]);

async function views(x: tf.Tensor4D, p: AugParams): Promise<[Float32Array, Float32Array]> {
  const [a, b] = augmentPair(x, p);
  const out: [Float32Array, Float32Array] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  tf.dispose([a, b]);
  return out;
}

/** Slow reference: pixel (i, y, x, c) of a (B, S, S, 3) array read through a reflecting border. */
function reflect(k: number, n: number): number {
  return k < 0 ? -k : k > n - 1 ? 2 * (n - 1) - k : k;
}
const at = (img: ArrayLike<number>, i: number, y: number, x: number, c: number) =>
  img[((i * S + reflect(y, S)) * S + reflect(x, S)) * 3 + c];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('drawAugParams + augmentPair', () => {
  it('is deterministic for a seed', async () => {
    const cfg: AugConfig = { ...DEFAULTS, crop: 'resized' };
    const p1 = drawAugParams(cfg, B, S, new Rng(4)), p2 = drawAugParams(cfg, B, S, new Rng(4));
    expect(p2).toEqual(p1);
    const x = X();
    const [a1, b1] = await views(x, p1), [a2, b2] = await views(x, p2);
    expect(maxAbsDiff(a1, a2)).toBe(0);
    expect(maxAbsDiff(b1, b2)).toBe(0);
    const p3 = drawAugParams(cfg, B, S, new Rng(5));
    expect(maxAbsDiff((await views(x, p3))[0], a1)).toBeGreaterThan(0);
    x.dispose();
  });

  it('returns the input unchanged with every probability 0 and no crop', async () => {
    const x = X();
    const [a, b] = await views(x, drawAugParams(OFF, B, S, new Rng(1)));
    const ref = await x.data();
    expect(maxAbsDiff(a, ref)).toBe(0);
    expect(maxAbsDiff(b, ref)).toBe(0);
    x.dispose();
  });

  it('shares the flip between both views', async () => {
    const x = X();
    const p = drawAugParams({ ...OFF, flipP: 0.5 }, 16, S, new Rng(2));
    expect(new Set(p.flip).size).toBe(2); // this seed flips some images and not others
    const x16 = tf.tile(x, [6, 1, 1, 1]).slice(0, 16) as tf.Tensor4D;
    const src = await x16.data();
    const [a, b] = await views(x16, p);
    expect(maxAbsDiff(a, b)).toBe(0);
    for (let i = 0; i < 16; i++)
      for (let y = 0; y < S; y++)
        for (let xx = 0; xx < S; xx++)
          for (let c = 0; c < 3; c++) {
            const want = src[((i * S + y) * S + (p.flip[i] ? S - 1 - xx : xx)) * 3 + c];
            expect(a[((i * S + y) * S + xx) * 3 + c]).toBe(want);
          }
    tf.dispose([x, x16]);
  });

  it('translates by the drawn offset with reflected borders (vs a per-pixel reference)', async () => {
    const x = X();
    const p = drawAugParams({ ...OFF, crop: 'translate', translatePx: 4, translateP: 1 }, B, S, new Rng(3));
    expect(p.shift.some((d) => d !== 0)).toBe(true);
    const src = await x.data();
    const out = await views(x, p);
    for (let v = 0; v < 2; v++) {
      const ref = new Float32Array(B * S * S * 3);
      for (let i = 0; i < B; i++) {
        const [dy, dx] = [p.shift[2 * (v * B + i)], p.shift[2 * (v * B + i) + 1]];
        expect(Math.abs(dy)).toBeLessThanOrEqual(4);
        expect(Math.abs(dx)).toBeLessThanOrEqual(4);
        for (let y = 0; y < S; y++)
          for (let xx = 0; xx < S; xx++)
            for (let c = 0; c < 3; c++) ref[((i * S + y) * S + xx) * 3 + c] = at(src, i, y - dy, xx - dx, c);
      }
      expect(maxAbsDiff(out[v], ref)).toBe(0);
    }
    x.dispose();
  });

  it('takes torchvision\'s integer resized-crop boxes and resamples them bicubically as PIL (resample.ts)', async () => {
    const x = X();
    const p = drawAugParams({ ...OFF, crop: 'resized' }, B, S, new Rng(6));
    const src = await x.data();
    const [a, b] = await views(x, p);
    for (let r = 0; r < 2 * B; r++) {
      const [top, left, h, w] = p.region.subarray(4 * r, 4 * r + 4);
      for (const v of [top, left, h, w]) expect(Number.isInteger(v)).toBe(true);
      expect(h * w).toBeGreaterThanOrEqual(0.3 * S * S * 0.85); // rounding of h and w
      expect(top).toBeGreaterThanOrEqual(0);
      expect(top + h).toBeLessThanOrEqual(S);
      expect(left + w).toBeLessThanOrEqual(S);
    }
    // The same crop through the slow path: one image at a time, row and column weights from bicubicRows.
    for (let r = 0; r < 2 * B; r++) {
      const i = r % B;
      const [top, left, h, w] = p.region.subarray(4 * r, 4 * r + 4);
      const ry = bicubicRows(S, top, h, S), rx = bicubicRows(S, left, w, S);
      const clip = (t: number) => Math.min(1, Math.max(0, t));
      const got = r < B ? a : b;
      for (let y = 0; y < S; y++)
        for (let xx = 0; xx < S; xx++)
          for (let c = 0; c < 3; c++) {
            let acc = 0;
            for (let j = 0; j < S; j++) {
              let row = 0; // horizontal pass first, clamped (PIL)
              for (let k = 0; k < S; k++) row += rx[xx * S + k] * at(src, i, j, k, c);
              acc += ry[y * S + j] * clip(row);
            }
            expect(got[((i * S + y) * S + xx) * 3 + c]).toBeCloseTo(clip(acc), 4);
          }
    }
    // Scale 1 and aspect 1 is the whole image: the identity.
    const whole = drawAugParams({ ...OFF, crop: 'resized', cropScaleMin: 1, cropScaleMax: 1, cropAspectMin: 1, cropAspectMax: 1 }, B, S, new Rng(6));
    expect(maxAbsDiff((await views(x, whole))[1], src)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('auto crop: translation at 32 px, resized crops at 64 px, as the official code', () => {
    expect(drawAugParams({ ...OFF, crop: 'auto' }, 2, 32, new Rng(1)).crop).toBe('translate');
    expect(drawAugParams({ ...OFF, crop: 'auto' }, 2, 64, new Rng(1)).crop).toBe('resized');
    expect(drawAugParams({ ...OFF, crop: 'none' }, 2, 64, new Rng(1)).crop).toBe('none');
    expect(DEFAULTS.crop).toBe('auto');
  });

  it('applies colour jitter like a per-pixel reference: random order per image, clamp after each; gray last', async () => {
    const x = X();
    const src = await x.data();
    const p = drawAugParams({ ...OFF, jitterP: 1, grayP: 0.5 }, B, S, new Rng(8));
    const [a] = await views(x, p);
    const ref = new Float32Array(a.length);
    const clip = (t: number) => Math.min(1, Math.max(0, t));
    const lum = (px: number[]) => LUMA[0] * px[0] + LUMA[1] * px[1] + LUMA[2] * px[2];
    for (let i = 0; i < B; i++) {
      const o = i * S * S * 3;
      let img = Array.from({ length: S * S }, (_, k) => [0, 1, 2].map((c) => src[o + 3 * k + c]));
      // torchvision's ColorJitter.forward: the four adjustments in the drawn order, each one clamped.
      for (const op of p.order.subarray(4 * i, 4 * i + 4)) {
        if (op === 0) img = img.map((px) => px.map((t) => clip(t * p.brightness[i])));
        else if (op === 1) {
          const mean = img.reduce((acc, px) => acc + lum(px), 0) / (S * S);
          img = img.map((px) => px.map((t) => clip(p.contrast[i] * t + (1 - p.contrast[i]) * mean)));
        } else if (op === 2) img = img.map((px) => px.map((t) => clip(p.saturation[i] * t + (1 - p.saturation[i]) * lum(px))));
        else {
          const m = colorMatrix(1, p.hue[i], false);
          img = img.map((px) => [0, 1, 2].map((c) => clip(m[c][0] * px[0] + m[c][1] * px[1] + m[c][2] * px[2])));
        }
      }
      if (p.gray[i]) img = img.map((px) => [lum(px), lum(px), lum(px)]);
      img.forEach((px, k) => px.forEach((t, c) => (ref[o + 3 * k + c] = t)));
    }
    expect(maxAbsDiff(a, ref)).toBeLessThan(1e-5);

    // The orders are permutations, not all the same; images without jitter keep the identity order.
    const many = drawAugParams({ ...OFF, jitterP: 0.5 }, 16, S, new Rng(3));
    const orders = new Set<string>();
    for (let r = 0; r < 32; r++) {
      const ord = Array.from(many.order.subarray(4 * r, 4 * r + 4));
      expect([...ord].sort()).toEqual([0, 1, 2, 3]);
      if (many.brightness[r] === 1 && many.contrast[r] === 1 && many.saturation[r] === 1 && many.hue[r] === 0) expect(ord).toEqual([0, 1, 2, 3]);
      orders.add(ord.join());
    }
    expect(orders.size).toBeGreaterThan(3);
    // The order matters: the same factors in the opposite order give another image.
    const rev = { ...p, order: p.order.map((_, k) => p.order[k - (k % 4) + 3 - (k % 4)]) };
    expect(maxAbsDiff((await views(x, rev))[0], a)).toBeGreaterThan(1e-3);

    expect(colorMatrix(1, 0, false)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    // A full turn of hue is the identity too (up to rounding); a half turn is not.
    const full = colorMatrix(1, 1, false), half = colorMatrix(1, 0.5, false);
    expect(Math.max(...full.flat().map((v, k) => Math.abs(v - (k % 4 === 0 ? 1 : 0))))).toBeLessThan(1e-9);
    expect(Math.abs(half[0][0] - 1)).toBeGreaterThan(0.1);

    const g = drawAugParams({ ...OFF, jitterP: 1, grayP: 1 }, B, S, new Rng(8));
    for (const view of await views(x, g))
      for (let k = 0; k < view.length; k += 3) {
        expect(view[k + 1]).toBe(view[k]);
        expect(view[k + 2]).toBe(view[k]);
      }
    x.dispose();
  });

  it('keeps fixed shapes, float32 and the [0, 1] range under strong jitter', async () => {
    const strong: AugConfig = { ...DEFAULTS, crop: 'resized', brightness: 1, contrast: 1, saturation: 1, hue: 0.5, jitterP: 1 };
    const x = X();
    for (const seed of [1, 2, 3]) {
      const [a, b] = augmentPair(x, drawAugParams(strong, B, S, new Rng(seed)));
      for (const t of [a, b]) {
        expect(t.shape).toEqual([B, S, S, 3]);
        expect(t.dtype).toBe('float32');
        const d = await t.data();
        expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...d)).toBeLessThanOrEqual(1);
      }
      tf.dispose([a, b]);
    }
    x.dispose();
  });

  it('augments bytes like floats in [0, 1] and leaks no tensors', async () => {
    const p = drawAugParams({ ...DEFAULTS }, B, S, new Rng(11));
    const before = tf.memory().numTensors;
    const [a, b] = augmentPairFromBytes(BYTES, B, S, p);
    expect(tf.memory().numTensors).toBe(before + 2);
    const x = X();
    const [fa, fb] = await views(x, p);
    expect(maxAbsDiff(await a.data(), fa)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await b.data(), fb)).toBeLessThan(1e-6);
    tf.dispose([a, b, x]);
  });

  it('rejects mismatched inputs with a message naming the problem', () => {
    const p = drawAugParams(OFF, B, S, new Rng(1));
    expect(() => augmentPairFromBytes(BYTES.subarray(1), B, S, p)).toThrow(/bytes/);
    const x = tf.zeros([B, S + 1, S + 1, 3]) as tf.Tensor4D;
    expect(() => augmentPair(x, p)).toThrow(/shape/);
    x.dispose();
    expect(() => drawAugParams({ ...OFF, crop: 'translate', translatePx: 11 }, B, S, new Rng(1))).toThrow(/translatePx/);
    expect(() => drawAugParams(OFF, 0, S, new Rng(1))).toThrow(/batch/);
  });
});
