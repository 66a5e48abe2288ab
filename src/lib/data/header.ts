/**
 * Reading a file's header with as few bytes as possible. Every photo is read twice by the import: a header
 * (format and displayed size, so the decode is size-checked and budgeted before it starts) and then the
 * decode. In Chromium each read of a File is a round trip through the browser process, and reading 64 KiB
 * cost the import ~30% of the bare decode rate on 2 cores; 4 KiB is ~2.4× cheaper to read
 * (bench/importProbe.ts). A JPEG's frame header usually follows its EXIF block (often a 10-60 kB
 * thumbnail): the walk reads the first 4 KiB, then hops over each segment that does not fit to read 4 KiB
 * where the next one starts. Pure but for the `read` function it is given (tested in Node).
 */
import { SNIFF_BYTES, scanJpeg, sniff, type Sniffed } from './decode';

/** Bytes read first; also the size of each later read of a JPEG walk. */
export const HEAD_BYTES = 4096;
/** Reads per file at most: a JPEG with more segments before its frame header is decoded without a known size. */
export const MAX_HEADER_READS = 16;

/** Bytes [start, end) of a file (fewer at its end). */
export type ReadRange = (start: number, end: number) => Promise<Uint8Array>;

export const blobRange =
  (blob: Blob): ReadRange =>
  async (start, end) =>
    new Uint8Array(await blob.slice(start, end).arrayBuffer());

/**
 * The same answer as `sniff` on the whole file (format, displayed size or null when unknown), from a few
 * small reads. Formats other than JPEG give their size in their first bytes, except AVIF, whose size box
 * may come later: it gets one 64 KiB read, as before.
 */
export async function readHeader(size: number, read: ReadRange): Promise<Sniffed | null> {
  const head = await read(0, Math.min(size, HEAD_BYTES));
  const s = sniff(head);
  if (!s || s.width !== null || head.length >= size) return s;
  if (s.format !== 'jpeg') return sniff(await read(0, Math.min(size, SNIFF_BYTES))) ?? s;
  let scan = scanJpeg(head, 0, 2, 1);
  for (let reads = 1; scan && 'need' in scan && scan.need < size && reads < MAX_HEADER_READS; reads++) {
    const at = scan.need;
    // an EXIF block whose first entries were cut off is read whole (a segment is at most 2 + 65,535 bytes)
    const b = await read(at, Math.min(size, at + (scan.exif ? 65_537 : HEAD_BYTES)));
    const next = scanJpeg(b, at, at, scan.orientation);
    // no progress (the same place, asking for the same read): a truncated file
    if (next && 'need' in next && next.need === at && next.exif === scan.exif) break;
    scan = next;
  }
  return scan && 'width' in scan ? { format: 'jpeg', ...scan } : { format: 'jpeg', width: null, height: null };
}
