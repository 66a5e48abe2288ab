import { describe, expect, it } from 'vitest';
import { CIFAR_RECORD, cifarLengthProblem, cifarSplit, parseCifarRecords, parseClassNames } from './cifar';
import { cifarBytes, hwc } from './testFiles';

describe('CIFAR-10 binary', () => {
  it('turns planar records into HWC images with their labels', () => {
    const labels = [3, 0, 9, 5];
    const r = parseCifarRecords(cifarBytes(labels), 'data_batch_1.bin');
    expect(r.count).toBe(4);
    expect(Array.from(r.labels)).toEqual(labels);
    for (let i = 0; i < 4; i++) expect(r.pixels.subarray(i * 3072, (i + 1) * 3072)).toEqual(hwc(i, 32));
  });

  it('rejects a file of the wrong length or with impossible labels, naming the file', () => {
    const good = cifarBytes([1, 2]);
    expect(() => parseCifarRecords(good.subarray(0, CIFAR_RECORD + 10), 'data_batch_2.bin')).toThrow(/data_batch_2\.bin: wrong length: 3083 bytes/);
    expect(cifarLengthProblem(0)).toMatch(/empty/);
    expect(cifarLengthProblem(30_730_000)).toBeNull();
    expect(() => parseCifarRecords(cifarBytes([10]), 'x.bin')).toThrow(/label 10/);
  });

  it('knows the release files', () => {
    expect(cifarSplit('cifar-10-batches-bin/data_batch_5.bin')).toBe('train');
    expect(cifarSplit('test_batch.bin')).toBe('test');
    expect(cifarSplit('readme.html')).toBeNull();
    expect(parseClassNames('airplane\r\nautomobile\n\n')).toEqual(['airplane', 'automobile']);
  });
});
