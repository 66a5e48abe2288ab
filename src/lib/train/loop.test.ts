import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import type { MetricPoint } from './types';
import { TrainingRun, ceilings, probeIndices } from './loop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('streams one metric point per step, in order, with MI below its log K ceiling', async () => {
    const points: MetricPoint[] = [];
    const run = new TrainingRun(cfg, data, { onMetrics: (p) => points.push(...p) });
    await run.trainSteps(7);
    expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const c = ceilings(cfg.batchSize);
    for (const p of points) {
      expect(Number.isFinite(p.total)).toBe(true);
      expect(p.mi1t5).toBeLessThanOrEqual(c['1t5'] + 1e-4);
      expect(p.mi1t7).toBeLessThanOrEqual(c['1t7'] + 1e-4);
      // MI estimate and loss are two views of one number: log K − L.
      expect(p.mi1t5 + p.loss1t5).toBeCloseTo(c['1t5'], 4);
      expect(p.lr).toBeCloseTo(cfg.lr * Math.min(1, p.step / cfg.warmup), 10);
    }
    run.dispose();
  });

  it('is reproducible from the seed', async () => {
    const a: MetricPoint[] = [], b: MetricPoint[] = [];
    const r1 = new TrainingRun(cfg, data, { onMetrics: (p) => a.push(...p) });
    const r2 = new TrainingRun(cfg, data, { onMetrics: (p) => b.push(...p) });
    await r1.trainSteps(3);
    await r2.trainSteps(3);
    expect(b.map((p) => p.total)).toEqual(a.map((p) => p.total));
    r1.dispose();
    r2.dispose();
  });

  it('keeps the tensor count flat over many steps and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const run = new TrainingRun(cfg, data);
    await run.trainSteps(3);
    const early = tf.memory().numTensors;
    await run.trainSteps(12);
    expect(tf.memory().numTensors).toBe(early);
    await run.evaluate();
    await run.evaluate();
    expect(tf.memory().numTensors).toBe(early);
    // Checkpoint and restore (the worker's warm-up does this on every fresh run) add nothing either.
    const ck = await run.checkpoint();
    run.restore(ck.meta, ck.tensors);
    run.restore(ck.meta, ck.tensors);
    expect(tf.memory().numTensors).toBe(early);
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('evaluates the probe set: features of the right shape and accuracies in [0, 1]', async () => {
    const run = new TrainingRun(cfg, data);
    const { point, snapshot } = await run.evaluate();
    expect(snapshot.n).toBe(32);
    expect(snapshot.features.length).toBe(32 * cfg.nRkhs);
    expect(Array.from(snapshot.indices)).toEqual(Array.from(probeIndices(data, 32, cfg.seed)));
    for (const v of [point.linear, point.knn, point.linearRandom, point.knnRandom]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    run.dispose();
  });

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
    for (const [prefix, vars] of [['adam', first.trainer.encoder.trainable], ['probe-adam', first.trainer.probe.trainable]] as const) {
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

  it('rejects a dataset whose image size does not match the config, naming both', () => {
    expect(() => new TrainingRun({ ...cfg, imageSize: 64 }, data)).toThrow(/32px.*imageSize is 64/);
  });
});
