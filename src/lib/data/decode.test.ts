import { describe, expect, it } from 'vitest';
import { centerSquare, exifOrientation, resampleTaps, resizeRgb, rgbaToRgb, sizeProblem, sniff } from './decode';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v: number) => [v & 255, v >> 8];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];

function jpeg(w: number, h: number, orientation?: number): Uint8Array {
  const app1 = orientation
    ? // Exif, big-endian TIFF, one IFD entry: 0x0112 SHORT 1 = orientation
      bytes('Exif\0\0', 'MM', [0, 42], be32(8), [0, 1], [0x01, 0x12, 0, 3], be32(1), [0, orientation, 0, 0], be32(0))
    : new Uint8Array(0);
  const seg = app1.length ? [0xff, 0xe1, ...[(app1.length + 2) >> 8, (app1.length + 2) & 255], ...app1] : [];
  return bytes([0xff, 0xd8], seg, [0xff, 0xdb, 0, 4, 0, 0], [0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 0, 0, 0, 0, 0]);
}

describe('sniff', () => {
  it('identifies each format by content and reads its size', () => {
    expect(sniff(jpeg(640, 480))).toEqual({ format: 'jpeg', width: 640, height: 480 });
    expect(sniff(jpeg(640, 480, 6))).toEqual({ format: 'jpeg', width: 480, height: 640 }); // rotated 90°
    expect(sniff(jpeg(640, 480, 3))).toEqual({ format: 'jpeg', width: 640, height: 480 });
    expect(sniff(bytes('\x89PNG\r\n\x1a\n', be32(13), 'IHDR', be32(300), be32(200)))).toEqual({ format: 'png', width: 300, height: 200 });
    expect(sniff(bytes('GIF89a', le16(17), le16(9)))).toEqual({ format: 'gif', width: 17, height: 9 });
    expect(sniff(bytes('BM', le32(0), le32(0), le32(54), le32(40), le32(33), le32(-44 >>> 0), [0, 0, 0, 0]))).toEqual({ format: 'bmp', width: 33, height: 44 });
    const vp8l = (1023 - 1) | ((77 - 1) << 14);
    expect(sniff(bytes('RIFF', le32(0), 'WEBP', 'VP8L', le32(0), [0x2f], le32(vp8l)))).toEqual({ format: 'webp', width: 1023, height: 77 });
    expect(sniff(bytes('RIFF', le32(0), 'WEBP', 'VP8X', le32(10), le32(0), [99, 0, 0], [199, 0, 0]))).toEqual({ format: 'webp', width: 100, height: 200 });
    expect(sniff(bytes('RIFF', le32(0), 'WEBP', 'VP8 ', le32(0), [0, 0, 0, 0x9d, 0x01, 0x2a], le16(320), le16(240)))).toEqual({ format: 'webp', width: 320, height: 240 });
    expect(sniff(bytes(be32(20), 'ftyp', 'avif', be32(0), 'mif1', be32(20), 'ispe', be32(0), be32(800), be32(600)))).toEqual({ format: 'avif', width: 800, height: 600 });
  });

  it('rejects everything else, whatever its name', () => {
    expect(sniff(new Uint8Array(0))).toBeNull();
    expect(sniff(bytes('hello, this is a text file'))).toBeNull();
    expect(sniff(bytes('BMW is a car brand, not a bitmap....'))).toBeNull();
    expect(sniff(bytes('%PDF-1.7 ...........'))).toBeNull();
  });

  it('reads EXIF orientation in both byte orders', () => {
    const le = bytes('II', [42, 0], le32(8), le16(1), le16(0x0112), le16(3), le32(1), le16(8), [0, 0], le32(0));
    expect(exifOrientation(le, 0, le.length)).toBe(8);
    expect(exifOrientation(le, 0, 6)).toBe(1); // truncated: default
  });
});

describe('geometry', () => {
  it('gives clear reasons for tiny and enormous images', () => {
    expect(sizeProblem(1, 1)).toMatch(/too small: 1×1 px/);
    expect(sizeProblem(20000, 20000)).toMatch(/too large: 20000×20000 px \(400 megapixels/);
    expect(sizeProblem(4000, 3000)).toBeNull();
  });
  it('centre-crops to the largest square', () => {
    expect(centerSquare(400, 300)).toEqual({ sx: 50, sy: 0, side: 300 });
    expect(centerSquare(300, 401)).toEqual({ sx: 0, sy: 50, side: 300 });
  });
  it('drops alpha', () => {
    const rgba = new Uint8Array(40).map((_, i) => i);
    const ref = Array.from(rgba).filter((_, i) => i % 4 !== 3);
    expect(Array.from(rgbaToRgb(rgba))).toEqual(ref);
  });
});

/** The obvious 2-D resampler: every output pixel is a weighted sum over the whole input. */
function resizeRef(src: Uint8Array, n: number, from: number, to: number): Uint8Array {
  const scale = from / to;
  const r = Math.max(1, scale);
  const w1 = (o: number, i: number) => Math.max(0, 1 - Math.abs(i - ((o + 0.5) * scale - 0.5)) / r);
  const out = new Uint8Array(n * to * to * 3);
  for (let m = 0; m < n; m++)
    for (let y = 0; y < to; y++)
      for (let x = 0; x < to; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0, ws = 0;
          for (let iy = 0; iy < from; iy++)
            for (let ix = 0; ix < from; ix++) {
              const w = w1(y, iy) * w1(x, ix);
              s += w * src[((m * from + iy) * from + ix) * 3 + c];
              ws += w;
            }
          out[((m * to + y) * to + x) * 3 + c] = Math.round(s / ws);
        }
  return out;
}

describe('resizeRgb', () => {
  it.each([[96, 64], [96, 32], [32, 64], [13, 7], [5, 5]])('%i → %i px matches the direct 2-D reference', (from, to) => {
    const n = 2;
    const src = new Uint8Array(n * from * from * 3);
    let s = 12345;
    for (let i = 0; i < src.length; i++) src[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    const fast = resizeRgb(src, n, from, to);
    const ref = resizeRef(src, n, from, to);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
    expect(worst).toBeLessThanOrEqual(1); // float rounding of the separable sums
  });
  it('keeps a flat colour flat and weights sum to one', () => {
    const src = new Uint8Array(96 * 96 * 3).fill(77);
    expect(resizeRgb(src, 1, 96, 64).every((v) => v === 77)).toBe(true);
    const t = resampleTaps(96, 64);
    for (let o = 0; o < 64; o++) {
      let sum = 0;
      for (let k = 0; k < t.count[o]; k++) sum += t.weights[o * t.width + k];
      expect(sum).toBeCloseTo(1, 5);
    }
    expect(() => resizeRgb(new Uint8Array(10), 1, 4, 2)).toThrow(/not 1 images/);
  });
});
