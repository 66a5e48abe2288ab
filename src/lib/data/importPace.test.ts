import { describe, expect, it } from 'vitest';
import { PixelBudget, RateEstimator } from './importPace';
import { rngFor } from '../rng';

/** The definition, summed directly: every interval weighted by exp(-(now - its end) / tau), the gap to now with no work. */
function referenceRate(samples: [number, number][], now: number, tau: number): number | null {
  let work = 0;
  let time = 0;
  for (let i = 1; i < samples.length; i++) {
    const w = Math.exp(-(now - samples[i][0]) / tau);
    work += w * (samples[i][1] - samples[i - 1][1]);
    time += w * (samples[i][0] - samples[i - 1][0]);
  }
  time += now - samples[samples.length - 1][0];
  return time > 0 ? work / time : null;
}

describe('RateEstimator', () => {
  it('matches the directly summed definition for irregular samples, at and after the last sample', () => {
    const rng = rngFor(7, 'rate-test');
    const samples: [number, number][] = [];
    let t = 3;
    let done = 12; // work counted before any time passed (skipped at planning): not part of the rate
    const est = new RateEstimator(5, 1);
    for (let i = 0; i < 200; i++) {
      samples.push([t, done]);
      est.add(t, done);
      if (i > 0) {
        expect(est.rate()).toBeCloseTo(referenceRate(samples, t, 5)!, 9);
        const later = t + rng.next() * 3;
        expect(est.rate(later)).toBeCloseTo(referenceRate(samples, later, 5)!, 9);
      }
      t += 0.05 + rng.next() * 0.6;
      done += Math.floor(rng.next() * 40);
    }
  });

  it('is about the plain average at first, follows a change of pace, and gives a sensible time left early', () => {
    const est = new RateEstimator(5, 1);
    est.add(0, 0);
    est.add(0.1, 1); // the first decode came back fast ...
    est.add(0.5, 20);
    // near the plain average (20 in 0.5 s = 40/s; the weights differ by at most 1 - e^-0.08), not decayed from zero
    expect(Math.abs(est.rate()! - 40) / 40).toBeLessThan(0.02);
    expect(est.secondsLeft(1000)).toBeNull(); // still warming up
    // a steady 40/s from there on: the time left is what is left at 40/s, within 10% from the first second
    for (let t = 0.6; t <= 60; t += 0.1) {
      est.add(t, Math.round(40 * t));
      if (t >= 1) {
        const left = est.secondsLeft(5000)!;
        const truth = (5000 - Math.round(40 * t)) / 40;
        expect(Math.abs(left - truth) / truth).toBeLessThan(0.1);
      }
    }
    // the pace halves: after 3 tau the rate is within 5% of the new pace, not still the average
    let done = Math.round(40 * 60);
    for (let t = 60.1; t <= 75; t += 0.1) est.add(t, (done += 2));
    expect(Math.abs(est.rate()! - 20) / 20).toBeLessThan(0.05);
  });

  it('a stall makes the rate fall and the time left grow; nothing before the first progress', () => {
    const est = new RateEstimator(5, 1);
    expect(est.rate()).toBeNull();
    expect(est.secondsLeft(10)).toBeNull();
    est.add(10, 5);
    est.add(12, 5);
    expect(est.rate()).toBe(0);
    expect(est.secondsLeft(10)).toBeNull(); // no progress yet: no estimate rather than infinity
    est.add(14, 25);
    const left = est.secondsLeft(100)!;
    expect(est.secondsLeft(100, 20)!).toBeGreaterThan(left);
    expect(est.rate(20)!).toBeLessThan(est.rate()!);
    expect(est.secondsLeft(25)).toBe(0);
  });
});

describe('PixelBudget', () => {
  it('never lets more than the limit run at once, serves in order, and runs an oversized request alone', async () => {
    const budget = new PixelBudget(100);
    const sizes = [30, 50, 40, 250, 10, 60, 60, 20];
    const order: number[] = [];
    let peak = 0;
    let running = 0;
    const sleep = () => new Promise((r) => setTimeout(r, 1));
    await Promise.all(
      sizes.map(async (n, i) => {
        await budget.acquire(n);
        order.push(i);
        running++;
        peak = Math.max(peak, budget.used);
        if (n > 100) expect(running).toBe(1); // the 250 MP photo decodes alone
        else expect(budget.used).toBeLessThanOrEqual(100);
        await sleep();
        running--;
        budget.release(n);
      }),
    );
    expect(order).toEqual(sizes.map((_, i) => i));
    expect(peak).toBe(250);
    expect(budget.used).toBe(0);
  });
});
