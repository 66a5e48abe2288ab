import { describe, expect, it } from 'vitest';
import { rngFor, type Rng } from '../rng';
import { sniff } from './decode';
import { HEAD_BYTES, blobRange, readHeader, type ReadRange } from './header';

const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
const be16 = (v: number) => [v >> 8, v & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const str = (s: string) => [...s].map((c) => c.charCodeAt(0));
const fill = (n: number, rng: Rng) => Array.from({ length: n }, () => rng.int(256));

/** An EXIF block: big-endian TIFF, IFD0 at `ifdAt` (≥ 8) with the orientation entry, then `thumb` bytes (a thumbnail). */
function exif(orientation: number, ifdAt: number, thumb: number, rng: Rng): number[] {
  const ifd = [0, 2, 0x01, 0x0f, 0, 2, ...be32(4), ...str('Cam\0'), 0x01, 0x12, 0, 3, ...be32(1), 0, orientation, 0, 0, ...be32(0)];
  return [...str('Exif\0\0'), ...str('MM'), 0, 42, ...be32(ifdAt), ...fill(ifdAt - 8, rng), ...ifd, ...fill(thumb, rng)];
}

/** A JPEG as cameras and editors write them: optional JFIF, EXIF, ICC and comment segments, tables, the frame header, then scan data. */
function jpeg(rng: Rng, o: { w: number; h: number; orientation?: number; ifdAt?: number; thumb?: number; icc?: number; com?: number; jfif?: boolean; fills?: number }): Uint8Array {
  const parts = [0xff, 0xd8];
  if (o.jfif) parts.push(...seg(0xe0, [...str('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  if (o.icc) parts.push(...seg(0xe2, [...str('ICC_PROFILE\0'), 1, 1, ...fill(o.icc, rng)]));
  if (o.orientation) parts.push(...seg(0xe1, exif(o.orientation, o.ifdAt ?? 8, o.thumb ?? 0, rng)));
  if (o.com) parts.push(...seg(0xfe, fill(o.com, rng)));
  parts.push(...seg(0xdb, fill(65, rng)), ...seg(0xc4, fill(30, rng)));
  for (let i = 0; i < (o.fills ?? 0); i++) parts.push(0xff); // fill bytes before a marker
  parts.push(...seg(0xc0, [8, ...be16(o.h), ...be16(o.w), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
  parts.push(...seg(0xda, fill(10, rng)), ...fill(20_000, rng), 0xff, 0xd9);
  return new Uint8Array(parts);
}

/** A reader over `bytes` that counts its reads and the bytes they returned. */
function counted(bytes: Uint8Array): { read: ReadRange; reads: number; bytes: number } {
  const c = {
    reads: 0,
    bytes: 0,
    read: async (s: number, e: number) => {
      c.reads++;
      const b = bytes.slice(s, e);
      c.bytes += b.length;
      return b;
    },
  };
  return c;
}

describe('readHeader', () => {
  it('gives what sniff gives on the whole file, for 300 random JPEG layouts and cuts, reading little', async () => {
    const rng = rngFor(7, 'header-test');
    for (let t = 0; t < 300; t++) {
      const o = {
        w: 16 + rng.int(5000), h: 16 + rng.int(5000), jfif: rng.bernoulli(0.5), fills: rng.int(3),
        orientation: rng.bernoulli(0.7) ? 1 + rng.int(8) : undefined,
        ifdAt: rng.bernoulli(0.1) ? 8 + rng.int(9000) : 8,
        thumb: rng.bernoulli(0.6) ? rng.int(60_000) : rng.int(200),
        icc: rng.bernoulli(0.3) ? rng.int(9000) : 0,
        com: rng.bernoulli(0.3) ? rng.int(6000) : 0,
      };
      const full = jpeg(rng, o);
      // a quarter are cut short somewhere (a truncated download): the answer must still match, without looping
      const file = rng.bernoulli(0.25) ? full.slice(0, 3 + rng.int(full.length - 3)) : full;
      const c = counted(file);
      const got = await readHeader(file.length, c.read);
      expect(got, `layout ${t}: ${JSON.stringify(o)}, ${file.length} bytes`).toEqual(sniff(file));
      expect(c.reads).toBeLessThanOrEqual(16);
      if (file === full) expect(got!.width).not.toBeNull();
      // nothing larger than HEAD_BYTES is read unless an EXIF block's first entries lie past the bytes in hand
      if ((o.ifdAt ?? 8) < 1000 && !o.icc) expect(c.bytes).toBeLessThanOrEqual(c.reads * HEAD_BYTES);
    }
  });

  it('reads a camera-like JPEG (a 40 kB EXIF thumbnail before the frame header) in 2 reads of 4 KiB, not 64 KiB', async () => {
    const rng = rngFor(1, 'camera');
    const file = jpeg(rng, { w: 4032, h: 3024, orientation: 6, thumb: 40_000, jfif: true });
    const c = counted(file);
    expect(await readHeader(file.length, c.read)).toEqual({ format: 'jpeg', width: 3024, height: 4032 });
    expect(c.reads).toBe(2);
    expect(c.bytes).toBe(2 * HEAD_BYTES);
  });

  it('reads an EXIF block whole when its orientation entry lies past the first 4 KiB', async () => {
    const rng = rngFor(2, 'far-ifd');
    const file = jpeg(rng, { w: 300, h: 200, orientation: 8, ifdAt: 6000, thumb: 100 });
    const c = counted(file);
    expect(await readHeader(file.length, c.read)).toEqual({ format: 'jpeg', width: 200, height: 300 });
    expect(sniff(file)).toEqual({ format: 'jpeg', width: 200, height: 300 });
  });

  it('takes one read for the other formats, a 64 KiB one for an AVIF whose size box comes late, and answers for real Blobs', async () => {
    const png = new Uint8Array([...str('\x89PNG\r\n\x1a\n'), ...be32(13), ...str('IHDR'), ...be32(300), ...be32(200), ...new Array(9000).fill(0)]);
    const c = counted(png);
    expect(await readHeader(png.length, c.read)).toEqual({ format: 'png', width: 300, height: 200 });
    expect([c.reads, c.bytes]).toEqual([1, HEAD_BYTES]);
    const avif = new Uint8Array([...be32(20), ...str('ftyp'), ...str('avif'), ...be32(0), ...str('mif1'), ...new Array(10_000).fill(0), ...be32(20), ...str('ispe'), ...be32(0), ...be32(800), ...be32(600)]);
    const a = counted(avif);
    expect(await readHeader(avif.length, a.read)).toEqual({ format: 'avif', width: 800, height: 600 });
    expect(a.reads).toBe(2);
    const text = new TextEncoder().encode('just some notes, not a photo');
    expect(await readHeader(text.length, counted(text).read)).toBeNull();
    const blob = new Blob([jpeg(rngFor(3, 'blob'), { w: 640, h: 480, orientation: 3, thumb: 30_000 }) as BlobPart]);
    expect(await readHeader(blob.size, blobRange(blob))).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });
});
