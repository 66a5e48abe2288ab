import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import type { MetricPoint } from './types';
import { TrainingRun, ceilings } from './loop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('streams one metric point per step, in order, the estimate below log K and the bound below log B', async () => {
    const points: MetricPoint[] = [];
    const run = new TrainingRun(cfg, data, { onMetrics: (p) => points.push(...p) });
    await run.trainSteps(7);
    expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const c = ceilings(cfg.batchSize);
    for (const p of points) {
      expect(Number.isFinite(p.total)).toBe(true);
      expect(p.nceEst1t5).toBeLessThanOrEqual(c['1t5'] + 1e-4);
      expect(p.nceEst1t7).toBeLessThanOrEqual(c['1t7'] + 1e-4);
      for (const b of [p.bound1t5, p.bound1t7, p.bound5t5]) expect(b).toBeLessThanOrEqual(c.bound + 1e-4);
      // The NCE estimate and the loss are two views of one number: log K − L.
      expect(p.nceEst1t5 + p.loss1t5).toBeCloseTo(c['1t5'], 4);
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
  }, 300_000); // the first evaluation fits the raw-pixel baseline (3,072 dimensions): slow on a loaded CPU

  it('rejects a dataset whose image size does not match the config, naming both', () => {
    expect(() => new TrainingRun({ ...cfg, imageSize: 64 }, data)).toThrow(/32px.*imageSize is 64/);
  });
});
