/**
 * Image decoding for the importers. The header sniffing and resampling are pure (tested in Node); only
 * `decodeToRgb` needs the browser's `createImageBitmap` and `OffscreenCanvas`, both of which exist in
 * workers, so decoding never runs on the page's thread.
 */

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif';

export interface Sniffed {
  format: ImageFormat;
  /** Displayed size (EXIF orientation applied), when the header says; null when it has to be decoded. */
  width: number | null;
  height: number | null;
}

/** Shorter side below this cannot make a meaningful 32 px image. */
export const MIN_SIDE = 8;
/** Decoding more than this many pixels (×4 bytes) could exhaust a worker's memory. */
export const MAX_PIXELS = 64_000_000;
/** Bytes read to identify a file and find its size where the first HEAD_BYTES (header.ts) did not tell. */
export const SNIFF_BYTES = 1 << 16;

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u32le = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** Identify an image by its first bytes (never by its file name) and read its size where cheap. */
export function sniff(b: Uint8Array): Sniffed | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return sniffJpeg(b);
  if (b.length >= 8 && ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') {
    return { format: 'png', ...(b.length >= 24 ? { width: u32be(b, 16), height: u32be(b, 20) } : { width: null, height: null }) };
  }
  if (b.length >= 6 && /^GIF8[79]a$/.test(ascii(b, 0, 6))) {
    return { format: 'gif', ...(b.length >= 10 ? { width: u16le(b, 6), height: u16le(b, 8) } : { width: null, height: null }) };
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return sniffBmp(b);
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return sniffWebp(b);
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const boxEnd = Math.min(b.length, u32be(b, 0));
    const brands = ascii(b, 8, Math.max(0, boxEnd - 8));
    if (/avi[fs]/.test(brands)) return sniffAvif(b);
  }
  return null;
}

function sniffJpeg(b: Uint8Array): Sniffed {
  const r = scanJpeg(b, 0, 2, 1);
  return r && 'width' in r ? { format: 'jpeg', ...r } : { format: 'jpeg', width: null, height: null };
}

/**
 * A JPEG walk that ran out of bytes: the file offset of the segment to read next (`need`) and the
 * orientation so far; `exif` when that segment is an EXIF block whose first entries lie past the bytes in
 * hand (read it whole, up to 64 KiB, then go on).
 */
export interface JpegNeed {
  need: number;
  orientation: number;
  exif: boolean;
}

/**
 * Walk a JPEG's segments to its frame header. `b` holds the file's bytes from file offset `base`; the walk
 * starts at the marker at file offset `at` with the `orientation` found so far. Returns the displayed size
 * (orientations 5-8 swap the axes), where to go on (JpegNeed), or null when the bytes are not a JPEG's
 * segments.
 */
export function scanJpeg(b: Uint8Array, base: number, at: number, orientation: number): { width: number; height: number } | JpegNeed | null {
  let i = at - base;
  while (i >= 0 && i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    const len = u16be(b, i + 2);
    if (marker === 0xe1 && ascii(b, i + 4, 6) === 'Exif\0\0') {
      const o = exifOrientationIn(b, i + 10, i + 2 + len);
      if (o === null) return { need: base + i, orientation, exif: true };
      orientation = o;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const h = u16be(b, i + 5);
      const w = u16be(b, i + 7);
      return orientation >= 5 ? { width: h, height: w } : { width: w, height: h };
    }
    i += 2 + len;
  }
  return { need: base + i, orientation, exif: false };
}

/** The EXIF orientation tag (1-8) from a TIFF block at [start, end); 1 when absent or malformed. */
export function exifOrientation(b: Uint8Array, start: number, end: number): number {
  if (end > b.length) return 1;
  return exifOrientationIn(b, start, end) ?? 1;
}

/** As exifOrientation, but null when the entries to read lie past the end of `b` (a partial read). */
function exifOrientationIn(b: Uint8Array, start: number, end: number): number | null {
  const have = Math.min(end, b.length);
  if (start + 8 > end) return 1;
  if (start + 8 > have) return null;
  const le = ascii(b, start, 2) === 'II';
  const r16 = (i: number) => (le ? u16le(b, i) : u16be(b, i));
  const r32 = (i: number) => (le ? u32le(b, i) : u32be(b, i));
  const ifd = start + r32(start + 4);
  if (ifd + 2 > end) return 1;
  if (ifd + 2 > have) return null;
  const n = r16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > end) break;
    if (e + 12 > have) return null;
    if (r16(e) === 0x0112) {
      const v = r16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

function sniffBmp(b: Uint8Array): Sniffed | null {
  if (b.length < 26) return b.length >= 14 ? { format: 'bmp', width: null, height: null } : null;
  const dib = u32le(b, 14);
  if (dib === 12) return { format: 'bmp', width: u16le(b, 18), height: u16le(b, 20) };
  if (dib < 40 || dib > 124) return null; // "BM" followed by garbage is just text starting with BM
  return { format: 'bmp', width: Math.abs(u32le(b, 18) | 0), height: Math.abs(u32le(b, 22) | 0) };
}

function sniffWebp(b: Uint8Array): Sniffed {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = u32le(b, 21);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    const w = (b[24] | (b[25] << 8) | (b[26] << 16)) + 1;
    const h = (b[27] | (b[28] << 8) | (b[29] << 16)) + 1;
    return { format: 'webp', width: w, height: h };
  }
  return { format: 'webp', width: null, height: null };
}

function sniffAvif(b: Uint8Array): Sniffed {
  for (let i = 4; i + 16 <= b.length; i++) {
    if (b[i] === 0x69 && ascii(b, i, 4) === 'ispe') return { format: 'avif', width: u32be(b, i + 8), height: u32be(b, i + 12) };
  }
  return { format: 'avif', width: null, height: null };
}

/** Why an image of this size cannot be used, or null when it can. */
export function sizeProblem(width: number, height: number): string | null {
  if (Math.min(width, height) < MIN_SIDE) return `too small: ${width}×${height} px (need at least ${MIN_SIDE} px on the shorter side)`;
  if (width * height > MAX_PIXELS) {
    return `too large: ${width}×${height} px (${Math.round((width * height) / 1e6)} megapixels; the limit is ${MAX_PIXELS / 1e6} MP)`;
  }
  return null;
}

/** The centred square: the largest square that keeps the middle of the photo. */
export function centerSquare(width: number, height: number): { sx: number; sy: number; side: number } {
  const side = Math.min(width, height);
  return { sx: Math.floor((width - side) / 2), sy: Math.floor((height - side) / 2), side };
}

/** (n, size, size, 4) RGBA → (n, size, size, 3) RGB, dropping alpha (already composited). */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, out?: Uint8Array): Uint8Array {
  const n = rgba.length >> 2;
  const dst = out ?? new Uint8Array(n * 3);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    dst[q] = rgba[p * 4];
    dst[q + 1] = rgba[p * 4 + 1];
    dst[q + 2] = rgba[p * 4 + 2];
  }
  return dst;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array; // count[o] weights per output o, at o * width
  width: number;
}

/** 1-D triangle-filter taps; the filter widens when shrinking, so downscaling averages instead of aliasing. */
export function resampleTaps(from: number, to: number): Taps {
  const scale = from / to;
  const radius = Math.max(1, scale);
  const width = Math.ceil(radius) * 2 + 1;
  const start = new Int32Array(to);
  const count = new Int32Array(to);
  const weights = new Float32Array(to * width);
  for (let o = 0; o < to; o++) {
    const c = (o + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(c - radius));
    const hi = Math.min(from - 1, Math.floor(c + radius));
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i - c) / radius);
      weights[o * width + (i - lo)] = w;
      sum += w;
    }
    if (sum === 0) { // an output sitting exactly between samples at the border
      const i = Math.min(from - 1, Math.max(0, Math.round(c)));
      start[o] = i;
      count[o] = 1;
      weights[o * width] = 1;
      continue;
    }
    for (let i = lo; i <= hi; i++) weights[o * width + (i - lo)] /= sum;
    start[o] = lo;
    count[o] = hi - lo + 1;
  }
  return { start, count, weights, width };
}

/** Resize n square RGB images (HWC) from `from` to `to` px: separable, antialiased, rounded to bytes. */
export function resizeRgb(src: Uint8Array, n: number, from: number, to: number): Uint8Array {
  if (src.length !== n * from * from * 3) throw new RangeError(`resizeRgb: ${src.length} bytes is not ${n} images of ${from}×${from}×3`);
  if (from === to) return src.slice();
  const t = resampleTaps(from, to);
  const out = new Uint8Array(n * to * to * 3);
  const rows = new Float32Array(from * to * 3); // (from, to, 3): horizontal pass
  for (let img = 0; img < n; img++) {
    const s = img * from * from * 3;
    for (let y = 0; y < from; y++) {
      for (let x = 0; x < to; x++) {
        let r = 0, g = 0, b = 0;
        for (let k = 0; k < t.count[x]; k++) {
          const w = t.weights[x * t.width + k];
          const p = s + (y * from + t.start[x] + k) * 3;
          r += w * src[p]; g += w * src[p + 1]; b += w * src[p + 2];
        }
        const q = (y * to + x) * 3;
        rows[q] = r; rows[q + 1] = g; rows[q + 2] = b;
      }
    }
    const d = img * to * to * 3;
    for (let y = 0; y < to; y++) {
      for (let x = 0; x < to; x++) {
        let r = 0, g = 0, b = 0;
        for (let k = 0; k < t.count[y]; k++) {
          const w = t.weights[y * t.width + k];
          const q = ((t.start[y] + k) * to + x) * 3;
          r += w * rows[q]; g += w * rows[q + 1]; b += w * rows[q + 2];
        }
        const p = d + (y * to + x) * 3;
        out[p] = Math.round(r); out[p + 1] = Math.round(g); out[p + 2] = Math.round(b);
      }
    }
  }
  return out;
}

/** Pixels outside an image's alpha are composited on mid-grey: neither black nor white biases the colour statistics. */
const BACKDROP = 'rgb(128,128,128)';

const canvases = new Map<number, OffscreenCanvasRenderingContext2D>();
/**
 * One small canvas per size, reused by every image: fill, draw and read back run with no await between
 * them, so decodes in flight at once never share it mid-image.
 */
function backdropCanvas(size: number): OffscreenCanvasRenderingContext2D {
  let ctx = canvases.get(size);
  if (!ctx) {
    const c = new OffscreenCanvas(size, size).getContext('2d', { willReadFrequently: true });
    if (!c) throw new Error('OffscreenCanvas 2D context unavailable');
    canvases.set(size, (ctx = c));
  }
  return ctx;
}

/**
 * Decode a photo, honour its EXIF orientation, centre-crop to a square and resize to `size` px with the
 * browser's high-quality resampler. Browser (worker) only. Returns (size, size, 3) RGB bytes.
 * With the displayed size known from the header (`shown`), crop and resize happen inside the one
 * createImageBitmap call, so the full-resolution pixels are never copied a second time; Chromium places
 * a centred crop identically either way for all 8 EXIF orientations (checked against the two-step path).
 */
export async function decodeToRgb(blob: Blob, size: number, shown?: { width: number; height: number } | null): Promise<Uint8Array> {
  const resize: ImageBitmapOptions = { imageOrientation: 'from-image', resizeWidth: size, resizeHeight: size, resizeQuality: 'high' };
  let small: ImageBitmap;
  if (shown) {
    const { sx, sy, side } = centerSquare(shown.width, shown.height);
    small = await createImageBitmap(blob, sx, sy, side, side, resize);
  } else {
    const full = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    try {
      const problem = sizeProblem(full.width, full.height);
      if (problem) throw new Error(problem);
      const { sx, sy, side } = centerSquare(full.width, full.height);
      small = await createImageBitmap(full, sx, sy, side, side, { ...resize, imageOrientation: undefined });
    } finally {
      full.close(); // free the full-resolution pixels at once: thousands of photos must not pile up
    }
  }
  const ctx = backdropCanvas(size);
  ctx.fillStyle = BACKDROP;
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(small, 0, 0);
  small.close();
  return rgbaToRgb(ctx.getImageData(0, 0, size, size).data);
}
