/**
 * The embedded dataset: ten classes of anti-aliased shapes drawn from the seed, so the app trains with no
 * download. Nuisance factors (colours, low contrast, position, scale, rotation, stretch, background
 * gradients and textures, a small distractor blob, pixel noise) are drawn independently of the class, so
 * raw pixels are a poor feature (1-NN well below 100%) while the shape itself stays learnable.
 *
 * Shapes are signed distance functions in a local frame (y up, roughly the unit disk); coverage of a pixel is
 * clamp(0.5 − distance in pixels), an analytic anti-aliasing that costs one evaluation per pixel.
 */

import { Rng, rngFor } from '../rng';
import type { Dataset, ImageSet } from './dataset';

export const EMBEDDED_CLASSES = [
  'circle', 'square', 'triangle', 'star', 'plus', 'ring', 'stripes', 'checker', 'crescent', 'heart',
] as const;

export interface EmbeddedOptions {
  seed: number;
  trainCount: number;
  testCount: number;
  size?: 32 | 64;
}

/** Signed distance in the shape's local units (negative inside). */
type Sdf = (u: number, v: number) => number;
/** Fraction of the second foreground colour at (u, v); `sharp` is pixels per local unit (for anti-aliasing). */
type Pattern = (u: number, v: number, sharp: number) => number;

interface Shape {
  sdf: Sdf;
  pattern?: Pattern;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const len = (x: number, y: number) => Math.sqrt(x * x + y * y);

function sdBox(u: number, v: number, bx: number, by: number): number {
  const qx = Math.abs(u) - bx, qy = Math.abs(v) - by;
  return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
}

// Inigo Quilez's exact 2-D distance functions (iquilezles.org/articles/distfunctions2d).
const SQ3 = Math.sqrt(3);
function sdTriangle(u: number, v: number, r: number): number {
  let px = Math.abs(u) - r, py = v + r / SQ3;
  if (px + SQ3 * py > 0) [px, py] = [(px - SQ3 * py) / 2, (-SQ3 * px - py) / 2];
  px -= Math.min(Math.max(px, -2 * r), 0);
  return -len(px, py) * Math.sign(py);
}

const K1X = 0.809016994375, K1Y = -0.587785252292;
function sdStar5(u: number, v: number, r: number, rf: number): number {
  let px = Math.abs(u), py = v;
  let d = 2 * Math.max(K1X * px + K1Y * py, 0);
  px -= d * K1X; py -= d * K1Y;
  d = 2 * Math.max(-K1X * px + K1Y * py, 0);
  px -= d * -K1X; py -= d * K1Y;
  px = Math.abs(px);
  py -= r;
  const bax = rf * -K1Y, bay = rf * K1X - 1;
  const h = Math.min(Math.max((px * bax + py * bay) / (bax * bax + bay * bay), 0), r);
  return len(px - bax * h, py - bay * h) * Math.sign(py * bax - px * bay);
}

function sdHeart(u: number, v: number): number {
  const px = Math.abs(u), py = v;
  if (py + px > 1) return len(px - 0.25, py - 0.75) - Math.SQRT2 / 4;
  const m = 0.5 * Math.max(px + py, 0);
  const a = px * px + (py - 1) * (py - 1), b = (px - m) * (px - m) + (py - m) * (py - m);
  return Math.sqrt(Math.min(a, b)) * Math.sign(px - py);
}

/** A square wave in [0, 1] with edges blurred over about one pixel. */
function squareWave(t: number, sharp: number): number {
  const tri = 1 - 4 * Math.abs(t - Math.floor(t) - 0.5); // (-1..1), period 1
  return clamp01(0.5 + 0.5 * tri * sharp);
}

/** One shape of class `cls`, with its class-specific free parameters drawn from `rng`. */
function makeShape(cls: number, rng: Rng): Shape {
  switch (cls) {
    case 0: return { sdf: (u, v) => len(u, v) - 0.95 };
    case 1: return { sdf: (u, v) => sdBox(u, v, 0.78, 0.78) };
    case 2: return { sdf: (u, v) => sdTriangle(u, v + 0.2, 1.05) };
    case 3: {
      const rf = rng.uniform(0.38, 0.5);
      return { sdf: (u, v) => sdStar5(u, v, 1.05, rf) };
    }
    case 4: {
      const w = rng.uniform(0.22, 0.34);
      return { sdf: (u, v) => Math.min(sdBox(u, v, 0.95, w), sdBox(u, v, w, 0.95)) };
    }
    case 5: {
      const w = rng.uniform(0.14, 0.26);
      return { sdf: (u, v) => Math.abs(len(u, v) - 0.95 + w) - w };
    }
    case 6: {
      const f = rng.uniform(1.6, 2.6), ph = rng.next();
      return {
        sdf: (u, v) => sdBox(u, v, 0.85, 0.85),
        pattern: (_u, v, sharp) => squareWave(v * f + ph, sharp / (2 * f)),
      };
    }
    case 7: {
      const f = rng.uniform(1.3, 2.1), ph = rng.next();
      return {
        sdf: (u, v) => sdBox(u, v, 0.85, 0.85),
        pattern: (u, v, sharp) => {
          const a = 2 * squareWave(u * f + ph, sharp / (2 * f)) - 1;
          const b = 2 * squareWave(v * f + ph, sharp / (2 * f)) - 1;
          return 0.5 + 0.5 * a * b;
        },
      };
    }
    case 8: {
      const off = rng.uniform(0.35, 0.6), r2 = rng.uniform(0.75, 0.9);
      return { sdf: (u, v) => Math.max(len(u, v) - 0.95, r2 - len(u - off, v - 0.12)) };
    }
    case 9: return { sdf: (u, v) => sdHeart(u * 0.58, v * 0.58 + 0.55) / 0.58 };
    default: throw new RangeError(`makeShape: class ${cls} outside [0, ${EMBEDDED_CLASSES.length})`);
  }
}

type Rgb = [number, number, number];

function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

interface Palette {
  bgA: Rgb;
  bgB: Rgb;
  fg: Rgb;
  fg2: Rgb;
}

/**
 * Hue and saturation are free; value mostly draws the shape lighter than the background. With fully random
 * RGB colours the background colour dominates every raw-pixel distance and 1-NN falls to chance; a mostly
 * consistent polarity leaves the silhouette visible to pixels, with inverted and faint images as hard cases.
 */
function pickPalette(rng: Rng): Palette {
  const dark = () => rng.uniform(0.04, 0.45);
  let bgV = dark();
  let fgV = rng.bernoulli(0.15) ? Math.min(1, bgV + rng.uniform(0.08, 0.2)) : rng.uniform(0.6, 1);
  if (rng.bernoulli(0.15)) [bgV, fgV] = [1.05 - bgV, 1.05 - fgV];
  const bgA = hsv(rng.next(), rng.uniform(0.1, 1), bgV);
  const bgB = rng.bernoulli(0.5) ? hsv(rng.next(), rng.uniform(0.1, 1), clamp01(bgV + rng.uniform(-0.15, 0.15))) : bgA;
  const fg = hsv(rng.next(), rng.uniform(0.1, 1), fgV);
  const fg2 = hsv(rng.next(), rng.uniform(0.1, 1), fgV > 0.5 ? fgV - rng.uniform(0.3, 0.55) : fgV + rng.uniform(0.3, 0.55));
  return { bgA, bgB, fg, fg2 };
}

/** Render one image of class `cls` into `out` (size·size·3 bytes, HWC). */
function renderImage(out: Uint8Array, size: number, cls: number, rng: Rng): void {
  const shape = makeShape(cls, rng);
  const S = size;
  // Placement: R is the radius in pixels. The centre wanders only ±12% of the free room: wider jitter
  // pushes raw-pixel 1-NN to chance (measured: 0.15 → 30%, 0.35 → 20% on 2000 → 400 images).
  const R = rng.uniform(0.24, 0.38) * S;
  const cx = S / 2 + rng.uniform(-0.12, 0.12) * (S - R);
  const cy = S / 2 + rng.uniform(-0.12, 0.12) * (S - R);
  const theta = rng.uniform(-Math.PI / 4, Math.PI / 4);
  const stretch = Math.exp(rng.uniform(-0.2, 0.2));
  const sx = R * Math.sqrt(stretch), sy = R / Math.sqrt(stretch);
  const cos = Math.cos(theta), sin = Math.sin(theta);

  // Background: a two-colour linear gradient, sometimes a faint sinusoidal texture.
  const { bgA, bgB, fg, fg2 } = pickPalette(rng);
  const gAmp = rng.uniform(0, 1), gPhi = rng.uniform(0, 2 * Math.PI);
  const gx = (Math.cos(gPhi) * gAmp) / S, gy = (Math.sin(gPhi) * gAmp) / S;
  const texAmp = rng.bernoulli(0.35) ? rng.uniform(0.03, 0.09) : 0;
  const texF = rng.uniform(2, 7) / S, texPhi = rng.uniform(0, 2 * Math.PI), texPh = rng.next() * 2 * Math.PI;
  const tfx = Math.cos(texPhi) * texF * 2 * Math.PI, tfy = Math.sin(texPhi) * texF * 2 * Math.PI;
  const shade = rng.uniform(0, 0.25); // a soft light from the top-left of the shape

  // A small distractor blob, independent of the class.
  const blob = rng.bernoulli(0.3);
  const bR = rng.uniform(0.05, 0.1) * S, bx = rng.uniform(0, S), by = rng.uniform(0, S);
  const bc: Rgb = [rng.next(), rng.next(), rng.next()];
  const noise = rng.uniform(0, 0.06) * Math.sqrt(12);

  for (let y = 0; y < S; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < S; x++) {
      const dx = x + 0.5 - cx;
      // Local frame: rotate by −θ, unstretch, flip y so shapes are drawn upright.
      const u = (cos * dx + sin * dy) / sx;
      const v = -(-sin * dx + cos * dy) / sy;
      const cov = clamp01(0.5 - shape.sdf(u, v) * R);
      const t = clamp01(0.5 + (x - S / 2) * gx + (y - S / 2) * gy);
      const tex = texAmp ? texAmp * Math.sin(x * tfx + y * tfy + texPh) : 0;
      const mix = shape.pattern && cov > 0 ? shape.pattern(u, v, R) : 0;
      const light = 1 + shade * (0.5 - 0.5 * (u - v) * 0.5);
      const bd = blob ? clamp01(bR + 0.5 - len(x + 0.5 - bx, y + 0.5 - by)) : 0;
      const o = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) {
        const back = bgA[c] + (bgB[c] - bgA[c]) * t + tex;
        const front = (fg[c] + (fg2[c] - fg[c]) * mix) * light;
        let p = back + (front - back) * cov;
        p += (bc[c] - p) * bd;
        p += (rng.next() - 0.5) * noise;
        out[o + c] = Math.round(clamp01(p) * 255);
      }
    }
  }
}

function makeSplit(count: number, size: number, rng: Rng): ImageSet {
  const K = EMBEDDED_CLASSES.length;
  // Class balanced: counts differ by at most one; order shuffled so any prefix is roughly balanced too.
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % K;
  rng.shuffle(labels);
  const per = size * size * 3;
  const pixels = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) renderImage(pixels.subarray(i * per, (i + 1) * per), size, labels[i], rng);
  return { size, count, pixels, labels };
}

/** Generate the embedded dataset. Deterministic for a seed; train and test come from separate streams. */
export function makeEmbeddedDataset(opts: EmbeddedOptions): Dataset {
  const size = opts.size ?? 32;
  if (size !== 32 && size !== 64) throw new RangeError(`makeEmbeddedDataset: size must be 32 or 64, got ${String(size)}`);
  for (const key of ['trainCount', 'testCount'] as const) {
    const n = opts[key];
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
      throw new RangeError(`makeEmbeddedDataset: ${key} must be an integer in [1, 1000000], got ${String(n)}`);
  }
  if (!Number.isInteger(opts.seed)) throw new RangeError(`makeEmbeddedDataset: seed must be an integer, got ${String(opts.seed)}`);
  return {
    id: 'embedded',
    name: 'Embedded shapes',
    classNames: [...EMBEDDED_CLASSES],
    train: makeSplit(opts.trainCount, size, rngFor(opts.seed, 'embedded/train')),
    test: makeSplit(opts.testCount, size, rngFor(opts.seed, 'embedded/test')),
  };
}
