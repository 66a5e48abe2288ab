import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import { loadCheckpoint, saveCheckpoint, useDatabase } from '../data/store';
import type { MetricPoint } from './types';
import { METRIC_KEYS } from './types';
import { DecimatedHistory, HISTORY_MAX } from './history';
import { TrainingRun } from './loop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const point = (step: number): MetricPoint => {
  const p = { step } as MetricPoint;
  METRIC_KEYS.forEach((k, i) => (p[k] = Math.sin(step * 0.001 + i)));
  return p;
};

describe('bounded run history', () => {
  it('keeps every point until the cap, then every 2nd, 4th… logged step, exactly as logged', () => {
    const h = new DecimatedHistory<{ step: number; v: number }>(100);
    for (let s = 1; s <= 100; s++) h.push({ step: s, v: s * 2 });
    expect(h.length).toBe(100);
    expect(h.stride).toBe(1);
    h.push({ step: 101, v: 202 });
    expect(h.stride).toBe(2);
    for (let s = 102; s <= 1000; s++) h.push({ step: s, v: s * 2 });
    // slow reference: the steps that are multiples of the final stride, with their own values
    const want = Array.from({ length: 1000 }, (_, i) => i + 1).filter((s) => s % h.stride === 0);
    expect(h.stride).toBe(16);
    expect(h.points.map((p) => p.step)).toEqual(want);
    expect(h.points.every((p) => p.v === p.step * 2)).toBe(true);
    expect(h.length).toBeLessThanOrEqual(100);
    // a repeated step replaces the last point
    const e = new DecimatedHistory<{ step: number; v: number }>(10);
    e.push({ step: 5, v: 1 });
    e.push({ step: 5, v: 2 });
    expect(e.points).toEqual([{ step: 5, v: 2 }]);
  });

  it('resumes a run after 200,000 steps of history (saved and loaded through the store) and trains on', async () => {
    const old: MetricPoint[] = [];
    for (let s = 1; s <= 200_000; s++) old.push(point(s));
    // what broke before: restoring with a spread
    expect(() => [].push(...(old as never[]))).toThrow(RangeError);

    const cfg = preset('tiny', { trainCount: 32, testCount: 16, probeSize: 16 });
    const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: 32, testCount: 16, size: 32 });
    const run = new TrainingRun(cfg, data);
    const ck = await run.checkpoint();
    // a checkpoint of a long run, as an older version would have stored it: every point
    const meta = { ...ck.meta, step: 200_000, history: old, evalHistory: [] };
    useDatabase('history-test');
    await saveCheckpoint('long-run', meta, ck.tensors);
    const back = (await loadCheckpoint('long-run'))!;
    const resumed = new TrainingRun(cfg, data);
    resumed.restore(back.meta as typeof meta, back.tensors);
    expect(resumed.step).toBe(200_000);
    expect(resumed.history.length).toBeLessThanOrEqual(HISTORY_MAX);
    expect(resumed.history.length).toBeGreaterThan(HISTORY_MAX / 2);
    expect(resumed.history.at(-1)).toEqual(old[199_999]); // the latest point is kept
    for (const p of resumed.history) expect(p).toEqual(old[p.step - 1]); // every kept point is the logged one
    await resumed.trainSteps(2);
    expect(resumed.step).toBe(200_002);
    // the next checkpoint stays bounded
    const next = await resumed.checkpoint();
    expect(next.meta.history.length).toBeLessThanOrEqual(HISTORY_MAX);
    expect(next.meta.history.at(-1)!.step).toBeLessThanOrEqual(200_002);
    run.dispose();
    resumed.dispose();
  });
});
