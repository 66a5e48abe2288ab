import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { SMALL_HELD_OUT, scoreMargin, smallHeldOutWarning } from './scoreMargin';

describe('held-out size and how far a score can be trusted', () => {
  it('the ±margin covers about 95% of accuracies measured on n images of a 50% classifier (simulated)', () => {
    const rng = new Rng(5);
    for (const n of [15, 40, 100]) {
      const m = scoreMargin(n);
      let inside = 0;
      const trials = 4000;
      for (let t = 0; t < trials; t++) {
        let right = 0;
        for (let i = 0; i < n; i++) if (rng.next() < 0.5) right++;
        if (Math.abs(right / n - 0.5) <= m + 1e-12) inside++;
      }
      expect(inside / trials).toBeGreaterThan(0.93);
      expect(inside / trials).toBeLessThan(0.995);
    }
  });

  it('warns in words below the threshold and names the size and the margin', () => {
    expect(smallHeldOutWarning(SMALL_HELD_OUT)).toBeNull();
    expect(smallHeldOutWarning(1000)).toBeNull();
    const w = smallHeldOutWarning(15)!;
    expect(w).toContain('Only 15 held-out images');
    expect(w).toContain('±25 points');
    expect(w).toContain('each one is 7 points');
    expect(smallHeldOutWarning(1)).toMatch(/no score can be measured/);
  });
});
