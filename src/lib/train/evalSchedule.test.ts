import { describe, expect, it } from 'vitest';
import { EVAL_SHARE, FIRST_EVAL_SEC, QUIET_INTERVALS, evaluationDue, type LastEval } from './evalSchedule';

/**
 * Drive the schedule as the session's loop does (evaluate when due, the evaluation costs `cost(n)` seconds of
 * wall time that are not training time) and return the steps evaluated and the total wall time.
 */
function simulate(cfg: { embedEvery: number; evalPace: 'auto' | 'every' }, stepsPerSec: number, steps: number, cost: (n: number) => number) {
  let last: { at: number; costSec: number } | null = null;
  const evaluated: number[] = [];
  let evalSec = 0;
  for (let s = 1; s <= steps; s++) {
    const trainSec = s / stepsPerSec;
    const since: LastEval | null = last && { sinceSec: trainSec - last.at, costSec: last.costSec };
    if (evaluationDue(s, cfg, trainSec, since)) {
      const c = cost(evaluated.length);
      evaluated.push(s);
      evalSec += c;
      last = { at: trainSec, costSec: c };
    }
  }
  return { evaluated, evalSec, trainSec: steps / stepsPerSec };
}

describe('evaluation schedule', () => {
  const auto = { embedEvery: 50, evalPace: 'auto' as const };

  it('evaluates only at multiples of embedEvery, never at step 0', () => {
    const last = { sinceSec: 1000, costSec: 0 };
    for (const s of [0, 1, 49, 51, 99]) expect(evaluationDue(s, auto, 1000, last)).toBe(false);
    for (const s of [50, 100, 150]) expect(evaluationDue(s, auto, 1000, last)).toBe(true);
  });

  it("'every' evaluates at every multiple from the start, whatever it costs", () => {
    const r = simulate({ embedEvery: 2, evalPace: 'every' }, 3, 20, () => 100);
    expect(r.evaluated).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });

  it('keeps the first evaluation out of the first FIRST_EVAL_SEC seconds on a slow device', () => {
    // A CPU at 3 steps/s: step 50 after ~17 s; the first multiple of 50 after 90 s is step 300.
    const r = simulate(auto, 3, 320, () => 1);
    expect(r.evaluated[0]).toBe(Math.ceil((FIRST_EVAL_SEC * 3) / 50) * 50);
  });

  it('comes after QUIET_INTERVALS intervals on a fast device, whatever the time', () => {
    const r = simulate(auto, 50, 600, () => 0.1);
    expect(r.evaluated[0]).toBe(QUIET_INTERVALS * 50);
    expect(r.evaluated[0] / 50).toBeLessThan(FIRST_EVAL_SEC);
  });

  it('keeps evaluations to about EVAL_SHARE of the time when they are slow', () => {
    // The first costs 87 s (it also scores the random encoder and the pixels), later ones 20 s.
    const r = simulate(auto, 3, 6000, (n) => (n === 0 ? 87 : 20));
    const share = r.evalSec / (r.evalSec + r.trainSec);
    expect(share).toBeLessThanOrEqual(EVAL_SHARE + 0.02);
    expect(share).toBeGreaterThan(EVAL_SHARE / 2); // not starved either: still about every 60 s of training
    // And every evaluation after the first waited for three times the previous one's cost.
    for (let i = 1; i < r.evaluated.length; i++) expect((r.evaluated[i] - r.evaluated[i - 1]) / 3).toBeGreaterThanOrEqual(3 * (i === 1 ? 87 : 20));
  });

  it('cheap evaluations come at every multiple once the first minute is over', () => {
    const r = simulate(auto, 3, 600, () => 0.5);
    const after = r.evaluated.slice(1);
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => r.evaluated[0] + 50 * (i + 1)));
  });
});
