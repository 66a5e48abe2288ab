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
}

export interface Dataset {
  id: string;
  name: string;
  classNames: string[];
  train: ImageSet;
  /** Held-out split (probe, kNN, embedding). */
  test: ImageSet;
}

export function imageBytes(size: number): number {
  return size * size * 3;
}

/** Copy images `indices` of `set` into one (n, size, size, 3) byte array. */
export function gather(set: ImageSet, indices: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const per = imageBytes(set.size);
  const dst = out ?? new Uint8Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (i < 0 || i >= set.count) throw new RangeError(`gather: index ${i} outside [0, ${set.count})`);
    dst.set(set.pixels.subarray(i * per, (i + 1) * per), k * per);
  }
  return dst;
}
