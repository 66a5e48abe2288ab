import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DEFAULTS, validate } from '../config';
import { LADDER, applyChoice, type Choice } from './calibrate';
import { downsample, makeReference, mismatch, parseReference, pickReference, stepsToHalf } from './reference';
import type { EvalPoint, MetricPoint } from './types';

// The reference file keeps its mi* names for AMDIM's NCE estimate; makeReference reads MetricPoint.nceEst*.
const pts = (n: number) => Array.from({ length: n }, (_, i) => ({ step: i + 1, mi1t5: i, mi1t7: 2 * i, mi5t5: -i, time: i / 10 }));
const points = (n: number) => pts(n).map((p) => ({ ...p, nceEst1t5: p.mi1t5, nceEst1t7: p.mi1t7, nceEst5t5: p.mi5t5 }) as unknown as MetricPoint);

describe('reference runs', () => {
  it('downsamples to window means, checked against a plain loop', () => {
    const p = pts(1003);
    const d = downsample(p, 100);
    const w = Math.ceil(1003 / 100);
    expect(d.step.length).toBe(Math.ceil(1003 / w));
    for (let j = 0; j < d.step.length; j++) {
      const win = p.slice(j * w, j * w + w);
      let s = 0;
      for (const q of win) s += q.mi1t7;
      expect(d.mi1t7[j]).toBeCloseTo(s / win.length, 4);
      expect(d.step[j]).toBe(win[win.length - 1].step);
    }
    expect(downsample(pts(5), 100).step).toEqual([1, 2, 3, 4, 5]);
  });

  it('round-trips through JSON and the checker', () => {
    const cfg = validate({}, 'tiny');
    const final = { step: 50, linTrained: 0.51234567, knnTrained: 0.4, linRandom: 0.15, knnRandom: 0.16 } as unknown as EvalPoint;
    const ref = makeReference(cfg, points(50), final, { command: 'npm run train', machine: 'm', backend: 'cpu', date: '2026-11-30' });
    const back = parseReference(JSON.parse(JSON.stringify(ref)));
    expect(back.config).toEqual(cfg);
    expect(back.step.length).toBe(50);
    expect(back.final?.linear).toBe(0.5123);
  });

  it('names what is wrong with a bad file', () => {
    const ref = JSON.parse(JSON.stringify(makeReference(validate({}), points(10), null, { command: 'c', machine: 'm', backend: 'b', date: 'd' })));
    expect(() => parseReference(null)).toThrow(/not a JSON object/);
    expect(() => parseReference({ ...ref, version: 9 })).toThrow(/version 9/);
    expect(() => parseReference({ ...ref, mi1t5: ref.mi1t5.slice(1) })).toThrow(/"mi1t5" must be 10 finite numbers/);
    expect(() => parseReference({ ...ref, mi5t5: [...ref.mi5t5.slice(1), 'x'] })).toThrow(/mi5t5/);
    expect(() => parseReference({ ...ref, step: [...ref.step].reverse() })).toThrow(/steps must increase/);
    expect(() => parseReference({ ...ref, config: { ...ref.config, ndf: -1 } })).toThrow(/ndf/);
    expect(() => parseReference({ ...ref, machine: 3 })).toThrow(/"machine" must be a string/);
  });

  it('matches a reference only to a run of the same model size and data', () => {
    const tiny = makeReference(validate({}, 'tiny'), points(3), null, { command: 'c', machine: 'm', backend: 'b', date: 'd' });
    expect(pickReference([tiny], validate({ lr: 0.5 }, 'tiny'))).toBe(tiny); // other settings may differ
    expect(pickReference([tiny], validate({}, 'demo'))).toBeNull();
    expect(mismatch(tiny, validate({ batchSize: 8 }, 'tiny'))).toEqual(['batchSize']);
  });

  it('finds the step that reaches half of the final value', () => {
    const steps = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
    const ys = steps.map((s) => 2 * (1 - Math.exp(-s / 200)));
    const final = ys.slice(90).reduce((a, b) => a + b, 0) / 10;
    const slow = steps.find((_, i) => ys[i] >= final / 2);
    expect(stepsToHalf(steps, ys)).toBe(slow);
    expect(stepsToHalf([], [])).toBeNull();
  });

  it('the shipped reference parses and is the one drawn under the default page at the size this machine gets', () => {
    const ref = parseReference(JSON.parse(readFileSync(new URL('../../../static/reference/tiny.json', import.meta.url), 'utf8')));
    // The default page (no hash) with the calibration's smallest size on the CPU, as on a 2-core machine.
    const choice = { backend: 'cpu', rung: LADDER[0] } as Choice;
    const page = applyChoice(validate({}), choice, { size: true, backend: true });
    expect(pickReference([ref], page)).toBe(ref);
    // Same data as that page too (MATCH_KEYS leave the image counts out, so check them here).
    expect([ref.config.trainCount, ref.config.testCount, ref.config.probeSize]).toEqual([DEFAULTS.trainCount, DEFAULTS.testCount, DEFAULTS.probeSize]);
    expect(ref.step.at(-1)).toBe(ref.config.steps);
    expect(ref.command).toContain('--record static/reference/tiny.json');
    expect(ref.final && ref.final.knn > ref.final.knnRandom).toBe(true);
  });
});
