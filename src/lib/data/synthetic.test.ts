import { describe, expect, it } from 'vitest';
import { EMBEDDED_CLASSES, makeEmbeddedDataset } from './synthetic';
import type { ImageSet } from './dataset';

const per = (s: ImageSet) => s.size * s.size * 3;
// Byte-array equality without vitest's slow element-wise deep diff.
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)) === 0;

/** Slow, obvious 1-nearest-neighbour on raw pixels (squared L2). */
function nnAccuracy(train: ImageSet, test: ImageSet): number {
  const n = per(train);
  let correct = 0;
  for (let j = 0; j < test.count; j++) {
    let best = Infinity, label = -1;
    for (let i = 0; i < train.count; i++) {
      let d = 0;
      for (let p = 0; p < n; p++) {
        const e = test.pixels[j * n + p] - train.pixels[i * n + p];
        d += e * e;
      }
      if (d < best) [best, label] = [d, train.labels![i]];
    }
    if (label === test.labels![j]) correct++;
  }
  return correct / test.count;
}

describe('makeEmbeddedDataset', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = makeEmbeddedDataset({ seed: 5, trainCount: 60, testCount: 30 });
    const b = makeEmbeddedDataset({ seed: 5, trainCount: 60, testCount: 30 });
    const c = makeEmbeddedDataset({ seed: 6, trainCount: 60, testCount: 30 });
    expect(same(b.train.pixels, a.train.pixels)).toBe(true);
    expect(same(b.test.pixels, a.test.pixels)).toBe(true);
    expect([...b.train.labels!]).toEqual([...a.train.labels!]);
    expect(same(c.train.pixels, a.train.pixels)).toBe(false);
    // Train and test come from separate streams: the first images differ.
    expect(same(a.test.pixels.subarray(0, per(a.test)), a.train.pixels.subarray(0, per(a.train)))).toBe(false);
  });

  it('has the declared shapes, names and class balance', () => {
    const ds = makeEmbeddedDataset({ seed: 1, trainCount: 103, testCount: 40, size: 64 });
    expect(ds.id).toBe('embedded');
    expect(ds.name).toBe('Embedded shapes');
    expect(ds.classNames).toEqual([...EMBEDDED_CLASSES]);
    expect(ds.classNames.length).toBeGreaterThanOrEqual(10);
    for (const [set, count] of [[ds.train, 103], [ds.test, 40]] as const) {
      expect(set.size).toBe(64);
      expect(set.count).toBe(count);
      expect(set.pixels.length).toBe(count * 64 * 64 * 3);
      expect(set.labels!.length).toBe(count);
      const hist = new Array(ds.classNames.length).fill(0);
      for (const l of set.labels!) hist[l]++;
      expect(Math.max(...hist) - Math.min(...hist)).toBeLessThanOrEqual(1);
    }
  });

  it('varies images within a class (colour, place, texture)', () => {
    const ds = makeEmbeddedDataset({ seed: 2, trainCount: 200, testCount: 20 });
    const set = ds.train, n = per(set);
    for (let k = 0; k < EMBEDDED_CLASSES.length; k++) {
      const means: number[] = [];
      const idx = [...set.labels!.keys()].filter((i) => set.labels![i] === k);
      for (const i of idx) {
        let s = 0;
        for (let p = 0; p < n; p++) s += set.pixels[i * n + p];
        means.push(s / n);
      }
      const mu = means.reduce((a, b) => a + b, 0) / means.length;
      const sd = Math.sqrt(means.reduce((a, b) => a + (b - mu) ** 2, 0) / means.length);
      expect(sd, `class ${EMBEDDED_CLASSES[k]} mean brightness spread`).toBeGreaterThan(5);
      // No two images of a class are byte-identical.
      const keys = new Set(idx.map((i) => set.pixels.subarray(i * n, (i + 1) * n).join(',')));
      expect(keys.size).toBe(idx.length);
    }
    // Every image has contrast inside it (the shape is drawn), and the full byte range is used overall.
    let lo = 255, hi = 0;
    for (let i = 0; i < set.count; i++) {
      let mn = 255, mx = 0;
      for (let p = 0; p < n; p++) {
        const v = set.pixels[i * n + p];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      expect(mx - mn).toBeGreaterThan(20);
      lo = Math.min(lo, mn);
      hi = Math.max(hi, mx);
    }
    expect(lo).toBeLessThan(10);
    expect(hi).toBeGreaterThan(245);
  });

  it('is above chance but far from solved for raw-pixel 1-NN', () => {
    const ds = makeEmbeddedDataset({ seed: 3, trainCount: 1000, testCount: 200 });
    const acc = nnAccuracy(ds.train, ds.test);
    expect(acc).toBeGreaterThan(0.2);
    expect(acc).toBeLessThan(0.95);
  });

  it('rejects bad options with a message naming the option', () => {
    expect(() => makeEmbeddedDataset({ seed: 1, trainCount: 0, testCount: 5 })).toThrow(/trainCount/);
    expect(() => makeEmbeddedDataset({ seed: 1, trainCount: 5, testCount: 2.5 })).toThrow(/testCount/);
    expect(() => makeEmbeddedDataset({ seed: 1, trainCount: 5, testCount: 5, size: 48 as 32 })).toThrow(/size/);
  });
});
