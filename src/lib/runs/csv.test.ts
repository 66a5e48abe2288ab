import { describe, expect, it } from 'vitest';
import { validate } from '../config';
import { groupArms } from './arms';
import { comparisonCsv, unitOf } from './csv';
import { EVAL_KEYS, METRIC_KEYS } from './serialize';
import { fakeRun } from './testRuns';

/** A small CSV reader for quoted cells (the reference the test reads the file back with). */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  return rows;
}

describe('comparison CSV', () => {
  it('one column per metric × arm × seed, units in the header, each cell equal to a lookup in its run', () => {
    const runs = [
      fakeRun(1, 12), fakeRun(2, 10),
      fakeRun(3, 12, true, { id: 'b1', config: validate({ seed: 1, crop: 'none' }, 'tiny') }),
      fakeRun(4, 8, true, { id: 'b2', config: validate({ seed: 2, crop: 'none' }, 'tiny') }),
    ];
    const arms = groupArms(runs);
    const text = comparisonCsv(arms, ['A', 'B'], ['resized, "quoted"', 'no crop']);
    const [head, ...body] = parse(text);
    const perRun = METRIC_KEYS.length + EVAL_KEYS.length;
    expect(head.length).toBe(1 + 4 * perRun);
    expect(head[0]).toBe('step');
    expect(head[1]).toBe('A: resized, "quoted" | seed 1 | loss1t5 [nats]');
    expect(head).toContain('B: no crop | seed 2 | linPixels held-out [fraction 0-1]');
    expect(head).toContain('B: no crop | seed 2 | nceEst1t5 [nats; NCE estimate, not a bound]');
    expect(head).toContain('A: resized, "quoted" | seed 2 | stepsPerSec [steps/s]');
    const steps = [...new Set(runs.flatMap((r) => [...r.metrics.step, ...r.evals.step]))].sort((a, b) => a - b);
    expect(body.map((r) => Number(r[0]))).toEqual(steps);
    // slow reference: find the run and step by search for every cell
    const order = arms.flatMap((a) => a.runs);
    body.forEach((r) => {
      const s = Number(r[0]);
      order.forEach((run, j) => {
        const base = 1 + j * perRun;
        METRIC_KEYS.forEach((k, m) => {
          const i = run.metrics.step.indexOf(s);
          const v = i < 0 ? NaN : run.metrics.cols[k][i];
          expect(r[base + m]).toBe(Number.isFinite(v) ? String(v) : '');
        });
        EVAL_KEYS.forEach((k, m) => {
          const i = run.evals.step.indexOf(s);
          const v = i < 0 ? NaN : run.evals.cols[k][i];
          expect(r[base + METRIC_KEYS.length + m]).toBe(Number.isFinite(v) ? String(v) : '');
        });
      });
    });
  });

  it('names a unit for every logged key', () => {
    for (const k of [...METRIC_KEYS, ...EVAL_KEYS]) expect(unitOf(k), k).not.toBe('');
    expect(unitOf('nceEst1t5')).toBe('nats; NCE estimate, not a bound');
    expect(unitOf('bound1t5')).toBe('nats; image-level InfoNCE lower bound');
    expect(unitOf('linPixels')).toBe('fraction 0-1');
    expect(unitOf('probeAcc')).toBe('fraction 0-1');
  });

  it('defuses a run name that a spreadsheet would run as a formula', () => {
    const arms = groupArms([fakeRun(1, 2)]);
    const [head] = parse(comparisonCsv(arms, ['A'], ['x']));
    expect(head[1].startsWith('A: x')).toBe(true);
    const [head2] = parse(comparisonCsv(arms, ['=cmd'], ['x']));
    expect(head2[1].startsWith("'=cmd")).toBe(true);
  });
});
