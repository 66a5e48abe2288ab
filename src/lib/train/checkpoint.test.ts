import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import type { MetricPoint } from './types';
import { TrainingRun } from './loop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkpoints of a TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('a run restored from a checkpoint continues exactly like the uninterrupted run', async () => {
    const straight: MetricPoint[] = [];
    const a = new TrainingRun(cfg, data, { onMetrics: (p) => straight.push(...p) });
    await a.trainSteps(6);
    a.dispose();

    const first = new TrainingRun(cfg, data);
    await first.trainSteps(3);
    // A structured-clone round trip, as IndexedDB does.
    const ck = structuredClone(await first.checkpoint());
    first.dispose();
    const resumed: MetricPoint[] = [];
    const b = new TrainingRun(cfg, data, { onMetrics: (p) => resumed.push(...p) });
    b.restore(ck.meta, ck.tensors);
    expect(b.step).toBe(3);
    expect(b.history.map((p) => p.step)).toEqual([1, 2, 3]);
    await b.trainSteps(3);
    expect(resumed.map((p) => p.step)).toEqual([4, 5, 6]);
    for (let i = 0; i < 3; i++) expect(resumed[i].total).toBeCloseTo(straight[3 + i].total, 5);
    b.dispose();
  });

  it('restores a version-1 checkpoint (one Adam moment per variable) into the flat Adam', async () => {
    const straight: MetricPoint[] = [];
    const a = new TrainingRun(cfg, data, { onMetrics: (p) => straight.push(...p) });
    await a.trainSteps(4);
    a.dispose();
    const first = new TrainingRun(cfg, data);
    await first.trainSteps(2);
    const ck = structuredClone(await first.checkpoint());
    // Write it the way the per-variable Adam did: m of each variable, then v, then t.
    const old: typeof ck.tensors = {};
    for (const [k, t] of Object.entries(ck.tensors)) if (!k.startsWith('adam/') && !k.startsWith('probe-adam/')) old[k] = t;
    for (const [prefix, vars] of [['adam', first.model.encoder.trainable], ['probe-adam', first.model.probe.trainable]] as const) {
      let i = 0;
      for (const which of [0, 1]) {
        let o = 0;
        for (const v of vars) {
          old[`${prefix}/${i++}`] = { shape: v.shape.slice(), data: ck.tensors[`${prefix}/${which}`].data.slice(o, o + v.size) };
          o += v.size;
        }
      }
      old[`${prefix}/${i}`] = ck.tensors[`${prefix}/2`];
    }
    first.dispose();
    const resumed: MetricPoint[] = [];
    const b = new TrainingRun(cfg, data, { onMetrics: (p) => resumed.push(...p) });
    const before = Object.keys(old).length;
    b.restore({ ...ck.meta, version: 1 }, old);
    expect(Object.keys(old).length).toBe(before); // the caller's copy is left alone
    await b.trainSteps(2);
    for (let i = 0; i < 2; i++) expect(resumed[i].total).toBeCloseTo(straight[2 + i].total, 5);
    b.dispose();
  });

  it('refuses a checkpoint of a different model shape, naming the tensor', async () => {
    const small = new TrainingRun(cfg, data);
    const ck = await small.checkpoint();
    small.dispose();
    const wide = new TrainingRun({ ...cfg, ndf: 12 }, data);
    expect(() => wide.restore(ck.meta, ck.tensors)).toThrow(/expected \[.*\], got \[/);
    wide.dispose();
  });
});
