import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { BatchSampler } from './batches';

const take = (s: BatchSampler, k: number) => Array.from({ length: k }, () => [...s.next()]);

describe('BatchSampler', () => {
  it('covers each epoch without replacement, dropping the remainder', () => {
    const count = 23, batch = 5;
    const s = new BatchSampler(count, batch, new Rng(1));
    expect(s.batchesPerEpoch).toBe(4);
    for (let e = 0; e < 3; e++) {
      expect(s.epoch).toBe(Math.max(0, e - 1));
      const seen = take(s, 4).flat();
      expect(seen.length).toBe(20);
      expect(new Set(seen).size).toBe(20); // no index twice within an epoch
      expect(seen.every((i) => Number.isInteger(i) && i >= 0 && i < count)).toBe(true);
      expect(s.epoch).toBe(e); // the epoch counter advances when the next epoch's first batch is drawn
    }
    expect(s.step).toBe(12);
  });

  it('reaches every index over epochs and shuffles differently each epoch', () => {
    const s = new BatchSampler(10, 3, new Rng(2));
    const epochs = Array.from({ length: 8 }, () => take(s, 3).flat());
    expect(new Set(epochs.flat()).size).toBe(10);
    expect(new Set(epochs.map((e) => e.join(','))).size).toBeGreaterThan(1);
    // Batch order is a real shuffle, not 0, 1, 2, …
    expect(epochs[0]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('is reproducible from the seed', () => {
    const a = take(new BatchSampler(50, 8, new Rng(7)), 20);
    expect(take(new BatchSampler(50, 8, new Rng(7)), 20)).toEqual(a);
    expect(take(new BatchSampler(50, 8, new Rng(8)), 20)).not.toEqual(a);
  });

  it('restores from a JSON round-trip of its state, mid-epoch and at epoch boundaries', () => {
    for (const k of [0, 3, 6, 7, 13]) {
      const s = new BatchSampler(50, 8, new Rng(9)); // 6 batches per epoch
      take(s, k);
      const copy = BatchSampler.restore(JSON.parse(JSON.stringify(s.state)));
      expect(copy.epoch).toBe(s.epoch);
      expect(copy.step).toBe(s.step);
      expect(take(copy, 15)).toEqual(take(s, 15));
    }
  });

  it('returns fresh arrays and rejects bad arguments and states', () => {
    const s = new BatchSampler(4, 2, new Rng(1));
    const a = s.next();
    a[0] = -1;
    expect(s.next()).not.toContain(-1);
    expect(() => new BatchSampler(3, 4, new Rng(1))).toThrow(/batch \(4\) exceeds/);
    expect(() => new BatchSampler(0, 1, new Rng(1))).toThrow(/count/);
    expect(() => BatchSampler.restore({ ...s.state, pos: 99 })).toThrow(/pos/);
    expect(() => BatchSampler.restore({ ...s.state, epochRng: [1, 2] as never })).toThrow(/epochRng/);
  });
});
