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
