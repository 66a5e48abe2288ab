/**
 * The in-memory dataset shape shared by the embedded generator, the importers, the store and the trainer.
 * Pixels stay on the CPU as compact bytes; the trainer uploads one batch at a time.
 */

export interface ImageSet {
  /** Side in pixels (images are square). */
  size: number;
  count: number;
  /** (count, size, size, 3) RGB bytes, row-major HWC. */
  pixels: Uint8Array;
  /** Class index per image, -1 where unknown; null for an unlabeled set. Used for evaluation only. */
  labels: Int32Array | null;
  /**
   * A split streamed from storage (data/stream.ts) keeps only a seeded sample in memory: `pixels` holds
   * the images `resident` (sorted indices) names, `chunks` reads the rest; `count` and `labels` are whole.
   */
  resident?: Int32Array;
  chunks?: ChunkSource;
}

import type { ChunkSource } from './stream';

export interface Dataset {
  id: string;
  name: string;
  classNames: string[];
  train: ImageSet;
  /** Held-out split (probe, kNN, embedding). */
  test: ImageSet;
}

/**
 * Whether a dataset's labels can score anything: at least two classes and labels on both splits. A flat
 * folder (no labels) and a one-class folder train the same way but skip everything that needs classes
 * (online probe, linear and kNN accuracy, colour by class).
 */
export function isLabeled(d: { classNames: string[]; train?: ImageSet; test?: ImageSet }): boolean {
  return d.classNames.length >= 2 && (!d.train || !!d.train.labels) && (!d.test || !!d.test.labels);
}

/** Why there are no scores, in words for the page and the CLI; null when the dataset is labeled. */
export function noLabelsReason(classNames: string[]): string | null {
  if (classNames.length >= 2) return null;
  return classNames.length === 1 ? `no labels: one class ("${classNames[0]}")` : 'no labels';
}

/**
 * The same pixels seen as a flat folder ('none': no classes, no labels) or a folder with one sub-folder
 * ('one': every image in class `name`). The CLI and tests use it to train as a user's own photos would.
 */
export function relabel(d: Dataset, mode: 'none' | 'one', name = 'photos'): Dataset {
  const set = (s: ImageSet): ImageSet => ({ ...s, labels: mode === 'none' ? null : new Int32Array(s.count) });
  return { ...d, classNames: mode === 'none' ? [] : [name], train: set(d.train), test: set(d.test) };
}

export function imageBytes(size: number): number {
  return size * size * 3;
}

/** Row of image `i` in `set.pixels`: i itself, or its place in a streamed set's resident sample (-1: not resident). */
export function residentRow(set: ImageSet, i: number): number {
  const r = set.resident;
  if (!r) return i;
  let lo = 0, hi = r.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (r[mid] === i) return mid;
    if (r[mid] < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Copy images `indices` of `set` into one (n, size, size, 3) byte array (of a streamed set: resident images only). */
export function gather(set: ImageSet, indices: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const per = imageBytes(set.size);
  const dst = out ?? new Uint8Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (i < 0 || i >= set.count) throw new RangeError(`gather: index ${i} outside [0, ${set.count})`);
    const row = residentRow(set, i);
    if (row < 0) throw new RangeError(`gather: image ${i} is not in memory (this split is streamed; only its ${set.resident!.length}-image sample is)`);
    dst.set(set.pixels.subarray(row * per, (row + 1) * per), k * per);
  }
  return dst;
}

/** The images of `set` that are in memory: all of them, or a streamed set's resident sample. */
export function residentIndices(set: ImageSet): Int32Array {
  return set.resident ? set.resident.slice() : Int32Array.from({ length: set.count }, (_, i) => i);
}
