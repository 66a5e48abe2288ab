/**
 * CIFAR-10 binary release (cifar-10-binary.tar.gz → cifar-10-batches-bin/): each record is 1 label byte
 * then 3072 pixel bytes, the 1024 red values of the 32×32 image row by row, then green, then blue.
 * data_batch_1..5.bin (10,000 records each) form the train split and test_batch.bin the test split.
 */

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;
export const CIFAR_RECORD = 1 + CIFAR_PIXELS;

/** Which split a file of the release belongs to, from its base name; null for anything else. */
export function cifarSplit(path: string): 'train' | 'test' | null {
  const base = path.split('/').pop() ?? '';
  if (/^data_batch_\d+\.bin$/.test(base)) return 'train';
  if (base === 'test_batch.bin') return 'test';
  return null;
}

export function isCifarMeta(path: string): boolean {
  return (path.split('/').pop() ?? '') === 'batches.meta.txt';
}

/** Why a file of `bytes` length cannot be CIFAR-10 records, or null when it can. */
export function cifarLengthProblem(bytes: number): string | null {
  if (bytes === 0) return 'empty file (0 bytes)';
  if (bytes % CIFAR_RECORD !== 0) {
    return `wrong length: ${bytes} bytes is not a whole number of CIFAR-10 records (${CIFAR_RECORD} bytes each: 1 label + 3072 pixels)`;
  }
  return null;
}

/** batches.meta.txt: one class name per line. */
export function parseClassNames(text: string): string[] {
  return text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

export interface Records {
  count: number;
  /** (count, 32, 32, 3) RGB, HWC. */
  pixels: Uint8Array;
  labels: Int32Array;
}

/** Decode whole records (a multiple of 3073 bytes) into HWC pixels and labels. */
export function parseCifarRecords(bytes: Uint8Array, name = 'CIFAR file', classes = 10): Records {
  const problem = cifarLengthProblem(bytes.length);
  if (problem) throw new Error(`${name}: ${problem}`);
  const count = bytes.length / CIFAR_RECORD;
  const pixels = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Int32Array(count);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let i = 0; i < count; i++) {
    const r = i * CIFAR_RECORD;
    const label = bytes[r];
    if (label >= classes) throw new Error(`${name}: record ${i} has label ${label}, but CIFAR-10 labels are 0-${classes - 1}`);
    labels[i] = label;
    const src = r + 1;
    const dst = i * CIFAR_PIXELS;
    // planar CHW → interleaved HWC
    for (let p = 0; p < plane; p++) {
      pixels[dst + p * 3] = bytes[src + p];
      pixels[dst + p * 3 + 1] = bytes[src + plane + p];
      pixels[dst + p * 3 + 2] = bytes[src + 2 * plane + p];
    }
  }
  return { count, pixels, labels };
}
