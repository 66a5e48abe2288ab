/**
 * AMDIM augmentation (SCIENCE.md §4) as a handful of batched tfjs ops, so it runs on the GPU next to the
 * model. Every random number is drawn on the CPU from the seeded Rng (drawAugParams), so a run is
 * reproducible and the ops themselves are deterministic.
 *
 * Pipeline: shared horizontal flip (one `where`) → crop: translate (reflect pad, then ONE cropAndResize over
 * 2B boxes, nearest) or random resized crop (torchvision's integer boxes, resampled bicubically as PIL does:
 * resample.ts) → colour jitter as torchvision's ColorJitter: brightness, contrast, saturation and hue in a
 * random order per image, each clamped to [0, 1] → grayscale. Views a and b are rows 0..B−1 and B..2B−1 of
 * every per-view array.
 *
 * Each jitter adjustment is affine in RGB, v' = M·v + t (t ≠ 0 only for contrast, towards the image's mean
 * gray), so one slot of the random order is one batched matmul for all images whatever adjustment each
 * image draws there: four slots, four matmuls, a clamp after each.
 */

import * as tf from '@tensorflow/tfjs';
import { cropFor, type Config, type CropMode } from '../config';
import type { Rng } from '../rng';
import { bicubicRows, resampleBatch } from './resample';

export type AugConfig = Pick<
  Config,
  | 'flipP' | 'crop' | 'translatePx' | 'translateP' | 'cropScaleMin' | 'cropScaleMax' | 'cropAspectMin'
  | 'cropAspectMax' | 'brightness' | 'contrast' | 'saturation' | 'hue' | 'jitterP' | 'grayP'
>;

export interface AugParams {
  batch: number;
  size: number;
  /** The crop actually used ('auto' resolved for the image size). */
  crop: Exclude<CropMode, 'auto'>;
  /** Reflect padding in pixels added before cropping (boxes are in padded coordinates). */
  pad: number;
  /** (B) 1 = flip horizontally; shared by both views. */
  flip: Uint8Array;
  /** (2B, 4) crop boxes [y1, x1, y2, x2] normalised to the padded image, as tf.image.cropAndResize takes them. */
  boxes: Float32Array;
  /** (2B, 2) translate crop: content shift [dy, dx] in pixels (0 for other crops). */
  shift: Int32Array;
  /** (2B, 4) the window each view shows, [top, left, height, width] in source pixels (edges, not centres); integers for resized crops. */
  region: Float32Array;
  /** (2B) multiplicative brightness factor; 1 = unchanged. */
  brightness: Float32Array;
  /** (2B) contrast factor (blend with the image's mean gray); 1 = unchanged. */
  contrast: Float32Array;
  /** (2B) saturation factor (blend with the pixel's gray); 1 = unchanged. */
  saturation: Float32Array;
  /** (2B) hue rotation in fractions of a turn; 0 = unchanged. */
  hue: Float32Array;
  /** (2B, 4) the order the four adjustments are applied in, per image: a permutation of JITTER_OPS indices. */
  order: Uint8Array;
  /** (2B) 1 = convert to grayscale. */
  gray: Uint8Array;
}

type M3 = number[][];

/** Luma weights (ITU-R 601), as torchvision's rgb_to_grayscale and the Y row of YIQ. */
export const LUMA = [0.299, 0.587, 0.114] as const;
const YIQ: M3 = [[...LUMA], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]];

const mul3 = (a: M3, b: M3): M3 => a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
const IDENTITY: M3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const GRAY: M3 = [0, 1, 2].map(() => [...LUMA]);

function inv3(m: M3): M3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = f * g - d * i, C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [C / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
const YIQ_INV = inv3(YIQ);

/** The four ColorJitter adjustments, by the index `order` uses (torchvision's fn_idx order). */
export const JITTER_OPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;
const IN_ORDER = Uint8Array.from([0, 1, 2, 3]);

/** Hue rotation by `hue` turns in the YIQ chroma plane (keeps luma). */
function hueMatrix(hue: number): M3 {
  if (hue === 0) return IDENTITY;
  const t = 2 * Math.PI * hue, c = Math.cos(t), sn = Math.sin(t);
  return mul3(mul3(YIQ_INV, [[1, 0, 0], [0, c, -sn], [0, sn, c]]), YIQ);
}

/**
 * One adjustment of one image as v' = m·v + (1 − keep)·meanGray(v): `keep` < 1 only for contrast, which
 * blends towards the image's mean gray (computed on v, the image as it is at that point of the order).
 */
export function jitterStep(op: number, p: Pick<AugParams, 'brightness' | 'contrast' | 'saturation' | 'hue'>, r: number): { m: M3; keep: number } {
  switch (op) {
    case 0: return { m: IDENTITY.map((row) => row.map((v) => v * p.brightness[r])), keep: 1 };
    case 1: return { m: IDENTITY.map((row) => row.map((v) => v * p.contrast[r])), keep: p.contrast[r] };
    case 2: return { m: IDENTITY.map((row) => row.map((v, j) => p.saturation[r] * v + (1 - p.saturation[r]) * LUMA[j])), keep: 1 };
    default: return { m: hueMatrix(p.hue[r]), keep: 1 };
  }
}

/** RGB → RGB matrix of one image: grayscale ∘ hue ∘ saturation (applied right to left). */
export function colorMatrix(saturation: number, hue: number, gray: boolean): M3 {
  const s = saturation;
  // Every output channel blends towards the same gray: s·I + (1 − s)·1·lumaᵀ.
  let m = IDENTITY.map((row) => row.map((v, j) => s * v + (1 - s) * LUMA[j]));
  // Rotating the chroma plane (I, Q) of YIQ turns the hue while keeping luma.
  if (hue !== 0) m = mul3(hueMatrix(hue), m);
  return gray ? mul3(GRAY, m) : m;
}

/** Draw every random number of one augmented batch from `rng` (CPU; cheap). */
export function drawAugParams(cfg: AugConfig, batch: number, size: number, rng: Rng): AugParams {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`drawAugParams: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`drawAugParams: size must be an integer ≥ 2, got ${size}`);
  const crop = cropFor(cfg.crop, size);
  const P = crop === 'translate' ? cfg.translatePx : 0;
  // Reflect padding needs pad < size. One extra pixel keeps every sample strictly inside the padded image,
  // so float rounding of box coordinates can never land outside it (cropAndResize would write 0 there).
  const pad = crop === 'translate' ? P + 1 : 0;
  if (pad >= size) throw new RangeError(`augment: translatePx (${cfg.translatePx}) must be below image size − 1 (${size - 1})`);
  const n = 2 * batch, Sp = size + 2 * pad, last = Sp - 1;
  const p: AugParams = {
    batch, size, crop, pad,
    flip: new Uint8Array(batch),
    boxes: new Float32Array(n * 4),
    shift: new Int32Array(n * 2),
    region: new Float32Array(n * 4),
    brightness: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    saturation: new Float32Array(n).fill(1),
    hue: new Float32Array(n),
    order: new Uint8Array(n * 4),
    gray: new Uint8Array(n),
  };
  for (let i = 0; i < batch; i++) p.flip[i] = rng.bernoulli(cfg.flipP) ? 1 : 0;
  const factor = (r: number) => rng.uniform(Math.max(0, 1 - r), 1 + r);
  for (let r = 0; r < n; r++) {
    // A box is given by the pixel-index coordinates of its first and last sample (cropAndResize's convention).
    let y0 = pad, x0 = pad, y1 = pad + size - 1, x1 = pad + size - 1;
    p.region.set([0, 0, size, size], 4 * r);
    if (crop === 'translate' && rng.bernoulli(cfg.translateP)) {
      const dy = rng.int(2 * P + 1) - P, dx = rng.int(2 * P + 1) - P;
      p.shift[2 * r] = dy;
      p.shift[2 * r + 1] = dx;
      p.region.set([-dy, -dx, size, size], 4 * r);
      // Content moves by +d, so the window starts d pixels earlier.
      [y0, x0, y1, x1] = [y0 - dy, x0 - dx, y1 - dy, x1 - dx];
    } else if (crop === 'resized') {
      // Resampled bicubically from region by augmentPair; the boxes are not used.
      p.region.set(resizedCropBox(cfg, size, rng), 4 * r);
    }
    p.boxes.set([y0 / last, x0 / last, y1 / last, x1 / last], 4 * r);
    p.order.set(IN_ORDER, 4 * r);
    if (rng.bernoulli(cfg.jitterP)) {
      // torchvision: fn_idx = randperm(4), then the four factors.
      const perm = [0, 1, 2, 3];
      rng.shuffle(perm);
      p.order.set(perm, 4 * r);
      p.brightness[r] = factor(cfg.brightness);
      p.contrast[r] = factor(cfg.contrast);
      p.saturation[r] = factor(cfg.saturation);
      p.hue[r] = rng.uniform(-cfg.hue, cfg.hue);
    }
    p.gray[r] = rng.bernoulli(cfg.grayP) ? 1 : 0;
  }
  return p;
}

/** torchvision RandomResizedCrop.get_params: an integer box [top, left, height, width] in pixels. */
function resizedCropBox(cfg: AugConfig, size: number, rng: Rng): [number, number, number, number] {
  const area = size * size;
  const la = Math.log(cfg.cropAspectMin), lb = Math.log(cfg.cropAspectMax);
  for (let tries = 0; tries < 10; tries++) {
    const target = area * rng.uniform(cfg.cropScaleMin, cfg.cropScaleMax);
    const aspect = Math.exp(rng.uniform(la, lb));
    const w = Math.round(Math.sqrt(target * aspect)), h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= size && h > 0 && h <= size) return [rng.int(size - h + 1), rng.int(size - w + 1), h, w];
  }
  // Fallback: the whole image, cut to the nearest allowed aspect ratio, centred.
  let w = size, h = size;
  if (1 < cfg.cropAspectMin) h = Math.round(w / cfg.cropAspectMin);
  else if (1 > cfg.cropAspectMax) w = Math.round(h * cfg.cropAspectMax);
  return [Math.floor((size - h) / 2), Math.floor((size - w) / 2), h, w];
}

/**
 * Two augmented views of a batch. `x` is (B, S, S, 3): int32 holding bytes 0..255, or float32 in [0, 1].
 * Returns float32 views in [0, 1], each (B, S, S, 3). The caller owns (and disposes) the results.
 */
export function augmentPair(x: tf.Tensor4D, params: AugParams): [tf.Tensor4D, tf.Tensor4D] {
  const { batch: B, size: S, pad } = params;
  const [b, h, w, c] = x.shape;
  if (b !== B || h !== S || w !== S || c !== 3)
    throw new RangeError(`augmentPair: input shape (${x.shape.join(', ')}) does not match the params (${B}, ${S}, ${S}, 3)`);
  const n = 2 * B;
  return tf.tidy(() => {
    const xf: tf.Tensor4D = x.dtype === 'float32' ? x : tf.div(tf.cast(x, 'float32'), 255); // (B, S, S, 3)
    const flipMask = tf.tensor4d(params.flip, [B, 1, 1, 1], 'bool');
    const flipped = tf.where(flipMask, tf.reverse(xf, 2), xf); // (B, S, S, 3)
    let v: tf.Tensor4D;
    if (params.crop === 'none') v = tf.concat([flipped, flipped], 0); // (2B, S, S, 3)
    else if (params.crop === 'resized') {
      const ry = new Float32Array(n * S * S), rx = new Float32Array(n * S * S);
      for (let r = 0; r < n; r++) {
        const [top, left, h, w] = params.region.subarray(4 * r, 4 * r + 4);
        ry.set(bicubicRows(S, top, h, S), r * S * S);
        rx.set(bicubicRows(S, left, w, S), r * S * S);
      }
      v = resampleBatch(tf.concat([flipped, flipped], 0), ry, rx, S); // (2B, S, S, 3), clamped
    } else {
      const padded = tf.mirrorPad(flipped, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'reflect'); // (B, S+2p, S+2p, 3)
      // One image per box with boxInd = 0..2B−1: tfjs-backend-webgl 4.22 ignores boxInd (box r always
      // reads image r, measured in Chromium), so a B-image batch with boxInd r % B breaks view b there.
      const both = tf.concat([padded, padded], 0); // (2B, S+2p, S+2p, 3)
      const boxInd = tf.tensor1d(Int32Array.from({ length: n }, (_, r) => r), 'int32');
      // Integer shifts sample exact pixels with 'nearest'.
      v = tf.image.cropAndResize(both, tf.tensor2d(params.boxes, [n, 4]), boxInd, [S, S], 'nearest'); // (2B, S, S, 3)
    }
    // Colour jitter in each image's own random order, clamped after every adjustment (as torchvision).
    const luma = tf.tensor2d([...LUMA], [3, 1]);
    const mt = new Float32Array(n * 9), keep = new Float32Array(n);
    for (let slot = 0; slot < 4; slot++) {
      for (let r = 0; r < n; r++) {
        const st = jitterStep(params.order[4 * r + slot], params, r);
        keep[r] = st.keep;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) mt[r * 9 + i * 3 + j] = st.m[j][i]; // transposed
      }
      const meanGray = tf.reshape(tf.matMul(tf.mean(v, [1, 2]), luma), [n, 1, 1]); // (2B, 1, 1)
      const k = tf.tensor3d(keep, [n, 1, 1]);
      const flat = tf.reshape(v, [n, S * S, 3]); // (2B, S·S, 3)
      const moved = tf.add(tf.matMul(flat, tf.tensor3d(mt, [n, 3, 3])), tf.mul(meanGray, tf.sub(1, k))); // (2B, S·S, 3)
      v = tf.reshape(tf.clipByValue(moved, 0, 1), [n, S, S, 3]);
    }
    if (params.gray.some((g) => g === 1)) {
      // RandomGrayscale after the jitter: a convex mix of channels (the clamp only catches float rounding).
      const gm = new Float32Array(n * 9);
      for (let r = 0; r < n; r++) {
        const m = params.gray[r] === 1 ? GRAY : IDENTITY;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) gm[r * 9 + i * 3 + j] = m[j][i];
      }
      v = tf.clipByValue(tf.reshape(tf.matMul(tf.reshape(v, [n, S * S, 3]), tf.tensor3d(gm, [n, 3, 3])), [n, S, S, 3]), 0, 1);
    }
    const [a, bView] = tf.split(v, 2, 0) as [tf.Tensor4D, tf.Tensor4D]; // (B, S, S, 3) each
    return [a, bView];
  });
}

/** Upload a batch of HWC bytes once and augment it; only the two views survive. */
export function augmentPairFromBytes(bytes: Uint8Array, batch: number, size: number, params: AugParams): [tf.Tensor4D, tf.Tensor4D] {
  if (bytes.length !== batch * size * size * 3)
    throw new RangeError(`augmentPairFromBytes: expected ${batch}·${size}·${size}·3 = ${batch * size * size * 3} bytes, got ${bytes.length}`);
  return tf.tidy(() => augmentPair(tf.tensor4d(Int32Array.from(bytes), [batch, size, size, 3], 'int32'), params));
}
