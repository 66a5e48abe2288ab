import { describe, expect, it } from 'vitest';
import { validate } from '../config';
import { Rng } from '../rng';
import { armName, armScores, groupArms, interleave } from './arms';
import { band, meanSd, summarize, verdict } from './stats';
import { fakeRun } from './testRuns';

/** The textbook two-pass formulas: the slow, obvious reference. */
function slowSummary(xs: number[]) {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { n, mean, sd, min: Math.min(...v), max: Math.max(...v) };
}

describe('summarize', () => {
  it('matches the two-pass reference on random data, skipping non-finite values', () => {
    const rng = new Rng(5);
    for (let t = 0; t < 50; t++) {
      const xs = Array.from({ length: 1 + rng.int(20) }, () => (rng.next() < 0.1 ? NaN : 1e4 + rng.normal() * 3));
      const want = slowSummary(xs);
      const got = summarize(xs);
      expect(got.n).toBe(want.n);
      if (want.n === 0) continue;
      expect(got.mean).toBeCloseTo(want.mean, 9);
      if (want.n > 1) expect(got.sd).toBeCloseTo(want.sd, 9);
      else expect(got.sd).toBeNaN();
      expect(got.min).toBe(want.min);
      expect(got.max).toBe(want.max);
    }
  });

  it('is empty without finite values, and formats mean ± s.d.', () => {
    expect(summarize([NaN, Infinity]).n).toBe(0);
    expect(summarize([]).mean).toBeNaN();
    const f = (v: number) => v.toFixed(1);
    expect(meanSd(summarize([1, 2, 3]), f)).toBe('2.0 ± 1.0');
    expect(meanSd(summarize([4]), f)).toBe('4.0');
    expect(meanSd(summarize([]), f)).toBe('—');
  });
});

describe('band', () => {
  it('matches a per-step reference on ragged step grids, both band modes', () => {
    const rng = new Rng(9);
    const curves = [0, 1, 2].map((c) => {
      const step = [1, 2, 3, 4, 5, 6, 7, 8].filter(() => rng.next() < 0.7 || c === 0);
      return { step, value: step.map(() => (rng.next() < 0.1 ? NaN : rng.normal())) };
    });
    for (const mode of ['minmax', 'sd'] as const) {
      const b = band(curves, mode, 2);
      const steps = [...new Set(curves.flatMap((c) => c.step))].sort((x, y) => x - y);
      expect(b.step).toEqual(steps);
      steps.forEach((s, i) => {
        const vals = curves.flatMap((c) => c.step.map((x, j) => (x === s ? c.value[j] * 2 : null)).filter((v): v is number => v !== null));
        const ref = slowSummary(vals);
        expect(b.n[i]).toBe(ref.n);
        if (ref.n === 0) {
          expect([b.mean[i], b.lo[i], b.hi[i]]).toEqual([null, null, null]);
          return;
        }
        expect(b.mean[i]).toBeCloseTo(ref.mean, 12);
        if (mode === 'minmax') {
          expect(b.lo[i]).toBe(ref.min);
          expect(b.hi[i]).toBe(ref.max);
        } else {
          const half = ref.n > 1 ? ref.sd : 0;
          expect(b.lo[i]).toBeCloseTo(ref.mean - half, 12);
          expect(b.hi[i]).toBeCloseTo(ref.mean + half, 12);
        }
      });
    }
  });
});

describe('verdict', () => {
  it('one seed per arm cannot tell', () => {
    const v = verdict([0.11], [0.06], 'the linear probe difference');
    expect(v.kind).toBe('one-seed');
    expect(v.text).toMatch(/^Cannot tell/);
    expect(verdict([], [0.5]).kind).toBe('missing');
  });

  it('the issue\'s case: 11% against 6% with seeds scattered over the same range is within the spread', () => {
    const v = verdict([0.11, 0.05, 0.08], [0.06, 0.12, 0.07], 'the linear probe difference');
    expect(v.kind).toBe('within');
    expect(v.text).toMatch(/within the seed-to-seed spread/);
    expect(v.overlap).toBe(true);
  });

  it('a clear separation exceeds the spread; a large mean gap with overlapping seeds is unclear', () => {
    const clear = verdict([0.1, 0.11, 0.12], [0.3, 0.31, 0.33]);
    expect(clear.kind).toBe('exceeds');
    expect(clear.diff).toBeCloseTo(0.31 + 1 / 300 - 0.11, 12);
    // pooled s.d. against the textbook formula
    const sa = slowSummary([0.1, 0.11, 0.12]), sb = slowSummary([0.3, 0.31, 0.33]);
    expect(clear.spread).toBeCloseTo(Math.sqrt((2 * sa.sd ** 2 + 2 * sb.sd ** 2) / 4), 12);
    expect(clear.text).toMatch(/larger than the seed-to-seed spread/);
    // the difference carries its sign, the spread (a size) is formatted by its own function
    const worded = verdict([0.1, 0.11, 0.12], [0.3, 0.31, 0.33], 'x', (v) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`, (v) => v.toFixed(3));
    expect(worded.text).toContain('(+0.20)');
    expect(worded.text).toContain(`s.d. ${clear.spread.toFixed(3)}`);
    const unclear = verdict([0, 0.1, 0.2], [0.15, 0.45, 0.5]);
    expect(unclear.overlap).toBe(true);
    expect(unclear.kind).toBe('unclear');
    // identical arms
    expect(verdict([1, 1], [1, 1]).kind).toBe('within');
  });
});

describe('arms', () => {
  it('groups runs that differ only in seed, and summarises their final scores', () => {
    const a1 = fakeRun(1), a2 = fakeRun(2), b1 = fakeRun(3, 12, true, { config: validate({ seed: 1, crop: 'none' }, 'tiny') }), b2 = fakeRun(4, 12, true, { config: validate({ seed: 2, crop: 'none' }, 'tiny') });
    const arms = groupArms([a1, b1, a2, b2]);
    expect(arms.map((a) => a.runs.map((r) => r.id))).toEqual([[a1.id, a2.id], [b1.id, b2.id]]);
    expect(arms[0].seeds).toEqual([1, 2]);
    const s = armScores(arms[0]);
    const ref = slowSummary([a1.evals.cols.linTrained.at(-1)!, a2.evals.cols.linTrained.at(-1)!]);
    expect(s.linTrained.mean).toBeCloseTo(ref.mean, 12);
    expect(s.linTrained.sd).toBeCloseTo(ref.sd, 12);
    expect(s.evals.knnPixels!.n).toBe(2);
  });
});

describe('interleave', () => {
  it('alternates arms seed by seed, and the planned runs group back into the arms', () => {
    const a = validate({ seed: 5, steps: 3 }, 'tiny'), b = validate({ seed: 5, steps: 3, crop: 'none' }, 'tiny');
    const plan = interleave([a, b], ['AMDIM CIFAR', 'None'], 3);
    expect(plan.map((p) => `${p.arm}:${p.seed}`)).toEqual(['0:5', '1:5', '0:6', '1:6', '0:7', '1:7']);
    expect(plan[3].name).toBe('None · seed 6');
    expect(plan.every((p) => p.config.seed === p.seed)).toBe(true);
    const runs = plan.map((p, i) => fakeRun(i + 1, 4, false, { id: `r${i}`, name: p.name, config: p.config }));
    const arms = groupArms(runs);
    expect(arms.map((x) => x.seeds)).toEqual([[5, 6, 7], [5, 6, 7]]);
    expect(arms.map(armName)).toEqual(['AMDIM CIFAR', 'None']);
  });
});
