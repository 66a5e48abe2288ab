/**
 * STL-10 binary release (stl10_binary/): *_X.bin hold 96×96 RGB images, each stored as three channel
 * planes (red, green, blue), every plane in column-major order (MATLAB's layout); *_y.bin hold one
 * label byte per image, 1-10. train_X/train_y and test_X/test_y pair up; unlabeled_X.bin has no labels.
 */

export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'];
export const STL_SIDE = 96;
export const STL_RECORD = STL_SIDE * STL_SIDE * 3;

export type StlRole =
  | { kind: 'images'; split: 'train' | 'test' | 'unlabeled' }
  | { kind: 'labels'; split: 'train' | 'test' }
  | { kind: 'classes' };

/** What a file of the release is, from its base name; null for anything else. */
export function stlRole(path: string): StlRole | null {
  const base = path.split('/').pop() ?? '';
  let m = /^(train|test|unlabeled)_X\.bin$/.exec(base);
  if (m) return { kind: 'images', split: m[1] as 'train' | 'test' | 'unlabeled' };
  m = /^(train|test)_y\.bin$/.exec(base);
  if (m) return { kind: 'labels', split: m[1] as 'train' | 'test' };
  if (base === 'class_names.txt') return { kind: 'classes' };
  return null;
}

export function stlLengthProblem(bytes: number): string | null {
  if (bytes === 0) return 'empty file (0 bytes)';
  if (bytes % STL_RECORD !== 0) return `wrong length: ${bytes} bytes is not a whole number of STL-10 images (${STL_RECORD} bytes each)`;
  return null;
}

/** Labels 1-10 on disk → class indices 0-9. */
export function parseStlLabels(bytes: Uint8Array, name = 'STL labels'): Int32Array {
  const out = new Int32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i];
    if (v < 1 || v > 10) throw new Error(`${name}: label ${i} is ${v}, but STL-10 labels are 1-10`);
    out[i] = v - 1;
  }
  return out;
}

/** Whole 96 px images (a multiple of 27,648 bytes) → (n, 96, 96, 3) HWC. */
export function stlToHwc(bytes: Uint8Array, name = 'STL images'): Uint8Array {
  const problem = stlLengthProblem(bytes.length);
  if (problem) throw new Error(`${name}: ${problem}`);
  const n = bytes.length / STL_RECORD;
  const out = new Uint8Array(bytes.length);
  const plane = STL_SIDE * STL_SIDE;
  for (let i = 0; i < n; i++) {
    const base = i * STL_RECORD;
    for (let c = 0; c < 3; c++) {
      for (let x = 0; x < STL_SIDE; x++) {
        const col = base + c * plane + x * STL_SIDE;
        for (let y = 0; y < STL_SIDE; y++) out[base + (y * STL_SIDE + x) * 3 + c] = bytes[col + y];
      }
    }
  }
  return out;
}
