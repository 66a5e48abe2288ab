import { describe, expect, it } from 'vitest';
import { STL_RECORD, parseStlLabels, stlLengthProblem, stlRole, stlToHwc } from './stl';
import { hwc, stlBytes } from './testFiles';

describe('STL-10 binary', () => {
  it('turns column-major channel planes into HWC images', () => {
    const out = stlToHwc(stlBytes(3), 'train_X.bin');
    for (let i = 0; i < 3; i++) expect(out.subarray(i * STL_RECORD, (i + 1) * STL_RECORD)).toEqual(hwc(i, 96));
  });
  it('maps labels 1-10 to 0-9 and rejects others', () => {
    expect(Array.from(parseStlLabels(new Uint8Array([1, 10, 4])))).toEqual([0, 9, 3]);
    expect(() => parseStlLabels(new Uint8Array([1, 0]), 'train_y.bin')).toThrow(/train_y\.bin: label 1 is 0/);
  });
  it('checks lengths and knows the release files', () => {
    expect(stlLengthProblem(STL_RECORD * 2 + 1)).toMatch(/wrong length/);
    expect(() => stlToHwc(new Uint8Array(5), 'test_X.bin')).toThrow(/test_X\.bin: wrong length/);
    expect(stlRole('stl10_binary/unlabeled_X.bin')).toEqual({ kind: 'images', split: 'unlabeled' });
    expect(stlRole('test_y.bin')).toEqual({ kind: 'labels', split: 'test' });
    expect(stlRole('class_names.txt')).toEqual({ kind: 'classes' });
    expect(stlRole('train_X.bin.bak')).toBeNull();
  });
});
