import { describe, expect, it } from 'vitest';
import { Rng, rngFor } from './rng';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const xa = Array.from({ length: 20 }, () => a.uint32());
    expect(Array.from({ length: 20 }, () => b.uint32())).toEqual(xa);
    expect(Array.from({ length: 20 }, () => c.uint32())).not.toEqual(xa);
  });

  it('restores from its state', () => {
    const a = new Rng(3);
    for (let i = 0; i < 5; i++) a.next();
    const b = new Rng(a.state);
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(Array.from({ length: 10 }, () => a.next()));
  });

  it('has sane uniform and normal moments', () => {
    const r = new Rng(11);
    const n = 50_000;
    let s = 0, s2 = 0, u = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
      u += r.next();
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.01);
  });

  it('int covers its range and shuffle is a permutation', () => {
    const r = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(10));
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const p = r.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('named streams are independent of each other', () => {
    expect(rngFor(1, 'a').next()).not.toBe(rngFor(1, 'b').next());
    expect(rngFor(1, 'a').next()).toBe(rngFor(1, 'a').next());
  });
});
