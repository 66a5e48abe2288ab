/**
 * Test fixtures in the exact published formats, built byte by byte (used by unit tests only): a ustar
 * writer, CIFAR-10 records and STL-10 column-major images.
 */
import { CIFAR_RECORD } from './cifar';
import { STL_RECORD, STL_SIDE } from './stl';

const enc = new TextEncoder();

function header(name: string, size: number, flag: string): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(512);
  const put = (s: string, at: number) => h.set(enc.encode(s), at);
  put(name.slice(0, 100), 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(size.toString(8).padStart(11, '0') + '\0', 124);
  put('00000000000\0', 136);
  put('        ', 148);
  put(flag, 156);
  put('ustar\0' + '00', 257);
  let sum = 0;
  for (const v of h) sum += v;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A tar archive; names over 100 bytes get a GNU long-name entry, as GNU tar writes them. */
export function makeTar(entries: { name: string; data?: Uint8Array; dir?: boolean }[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const pad = (n: number) => new Uint8Array((512 - (n % 512)) % 512);
  for (const e of entries) {
    if (e.name.length > 100) {
      const long = enc.encode(e.name + '\0');
      parts.push(header('././@LongLink', long.length, 'L'), long, pad(long.length));
    }
    const data = e.data ?? new Uint8Array(0);
    parts.push(header(e.name, data.length, e.dir ? '5' : '0'), data, pad(data.length));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The value of pixel (y, x) channel c of test image i: unique enough to catch any layout mix-up. */
export const pixelValue = (i: number, y: number, x: number, c: number) => (i * 37 + y * 11 + x * 5 + c * 101) & 255;

/** `labels.length` CIFAR-10 records: label byte, then R, G, B planes, each 32 rows of 32. */
export function cifarBytes(labels: number[], first = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(labels.length * CIFAR_RECORD);
  labels.forEach((label, k) => {
    const r = k * CIFAR_RECORD;
    out[r] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[r + 1 + c * 1024 + y * 32 + x] = pixelValue(first + k, y, x, c);
  });
  return out;
}

/** n STL-10 images: R, G, B planes, each column-major (column x holds rows 0..95). */
export function stlBytes(n: number, first = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n * STL_RECORD);
  const plane = STL_SIDE * STL_SIDE;
  for (let k = 0; k < n; k++)
    for (let c = 0; c < 3; c++)
      for (let x = 0; x < STL_SIDE; x++) for (let y = 0; y < STL_SIDE; y++) out[k * STL_RECORD + c * plane + x * STL_SIDE + y] = pixelValue(first + k, y, x, c);
  return out;
}

/** Reference HWC image built straight from pixelValue. */
export function hwc(i: number, side: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) out[(y * side + x) * 3 + c] = pixelValue(i, y, x, c);
  return out;
}

/** Split bytes into chunks of awkward sizes, as a network or decompressor would deliver them. */
export async function* chunked(b: Uint8Array, sizes = [1, 7, 511, 513, 4096, 3]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let k = 0; at < b.length; k++) {
    const n = sizes[k % sizes.length];
    yield b.slice(at, at + n);
    at += n;
  }
}
