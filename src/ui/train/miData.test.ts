import { describe, expect, it } from 'vitest';
import { validate } from '../../lib/config';
import { makeReference } from '../../lib/train/reference';
import type { MetricPoint } from '../../lib/worker/protocol';
import { smooth } from '../charts/smooth';
import { horizon, latestSmoothed, miColumns } from './miData';

const live = { step: [1, 2, 3], cols: { mi1t5: [0.1, 0.2, 0.3], mi1t7: [1, 2, 3], mi5t5: [-1, -2, -3] } };
const refPoints = Array.from({ length: 100 }, (_, i) => ({ step: (i + 1) * 10, nceEst1t5: i / 10, nceEst1t7: i / 20, nceEst5t5: i / 30, time: i }) as unknown as MetricPoint);
const ref = makeReference(validate({}, 'tiny'), refPoints, null, { command: 'c', machine: 'm', backend: 'b', date: 'd' });

describe('MI chart columns', () => {
  it('keeps the live run alone when there is no reference', () => {
    const d = miColumns(live, null, 1, 0);
    expect(d[0]).toEqual([1, 2, 3]);
    expect(d[1]).toEqual([0.1, 0.2, 0.3]);
    expect(d[6]).toEqual([-1, -2, -3]); // smoothing 0 is the raw values
    expect(d[7]).toEqual([null, null, null]);
  });

  it('merges the reference up to the horizon, each value at its own step', () => {
    const d = miColumns(live, ref, 2, 0.5, 55);
    expect(d[0]).toEqual([1, 2, 3, 10, 20, 30, 40, 50]);
    expect(d[1].slice(0, 3)).toEqual([0.2, 0.4, 0.6]); // scaled
    expect(d[1].slice(3)).toEqual([null, null, null, null, null]);
    expect(d[7]).toEqual([null, null, null, 0, 0.2, 0.4, 0.6, 0.8]);
    const sm = smooth(live.cols.mi1t7, 0.5).map((v) => v! * 2);
    expect(d[5].slice(0, 3)).toEqual(sm);
  });

  it('looks 3× ahead, at least 300 steps', () => {
    expect(horizon(0)).toBe(300);
    expect(horizon(500)).toBe(1500);
  });

  it('the big numbers are the last smoothed values', () => {
    const l = latestSmoothed(live.cols, 0.6);
    expect(l.mi1t7).toBeCloseTo(smooth(live.cols.mi1t7, 0.6).at(-1)!, 12);
    expect(latestSmoothed({ mi1t5: [], mi1t7: [], mi5t5: [] }, 0.6).mi1t5).toBeUndefined();
  });
});
