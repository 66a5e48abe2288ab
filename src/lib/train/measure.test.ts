import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { validate } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import { LADDER, SIZE_KEYS } from './calibrate';
import { TrainingRun } from './loop';
import { chooseForDevice, measureRung, probeCandidates } from './measure';

describe('device measurement (CPU backend, real steps)', () => {
  const cfg = validate({ trainCount: 32, testCount: 16, probeSize: 16 });
  const data = makeEmbeddedDataset({ seed: 1, trainCount: 32, testCount: 16, size: 32 });

  it('offers the CPU when nothing else exists', async () => {
    expect(await probeCandidates('auto')).toEqual([{ name: 'cpu', adapter: 'JavaScript (main CPU)', software: false }]);
  });

  it('times real steps and leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const t = performance.now();
    const r = await measureRung('cpu', LADDER[0], cfg, data, { minMs: 50, maxSteps: 4 });
    const wall = (performance.now() - t) / 1000;
    expect(r.warmMs).toBeGreaterThan(0);
    // At least the two timed steps ran inside the wall time, so the rate cannot exceed 3 steps per wall time.
    expect(r.stepsPerSec).toBeGreaterThan(0);
    expect(r.stepsPerSec).toBeLessThanOrEqual(4 / (wall - r.warmMs / 1000) + 1e-9);
    // Step caches (constants, masks) may stay; the run's weights and optimiser state must not.
    expect(tf.memory().numTensors - before).toBeLessThan(40);
  });

  it('measures once, then answers from the cache; a forced size is kept', async () => {
    const saved = new Map<string, unknown>();
    const store = { get: async (k: string) => saved.get(k), set: async (k: string, v: unknown) => void saved.set(k, v) };
    const first = await chooseForDevice(cfg, data, { size: true, backend: true }, store);
    expect(first.cached).toBe(false);
    expect(first.choice.backend).toBe('cpu');
    expect(first.config.backend).toBe('cpu');
    expect(first.config.ndf).toBe(first.choice.rung.ndf);
    expect(saved.size).toBe(1);
    const again = await chooseForDevice(cfg, data, { size: true, backend: true }, store);
    expect(again.cached).toBe(true);
    expect(again.choice.summary).toBe(first.choice.summary);
    const forced = await chooseForDevice({ ...cfg, ndf: 12 }, data, { size: false, backend: true }, store);
    expect(forced.config.ndf).toBe(12);
    const fresh = await chooseForDevice(cfg, data, { size: true, backend: true, fresh: true }, store);
    expect(fresh.cached).toBe(false);
  });

  it('hands over the run it timed when that is the config to train, with its state before the first step', async () => {
    const made: TrainingRun[] = [];
    const makeRun = (c: typeof cfg) => {
      const r = new TrainingRun(c, data);
      made.push(r);
      return r;
    };
    const r = await chooseForDevice(cfg, data, { size: true, backend: true }, null, undefined, makeRun);
    const m = r.measured!;
    expect(m).toBeDefined();
    // The last run made is the one handed over; every other one was disposed (one model in memory at a time).
    expect(m.run).toBe(made.at(-1));
    expect(m.backend).toBe('cpu');
    for (const k of SIZE_KEYS) expect(m.run.cfg[k]).toBe(r.config[k]);
    expect(m.run.cfg.logEvery).toBe(cfg.logEvery); // made with the real config, not a throwaway one
    // The compiling step and at least two timed steps ran on it; `fresh` is step 0.
    expect(m.run.step).toBeGreaterThanOrEqual(3);
    expect(m.run.history.length).toBeGreaterThan(0);
    expect(m.fresh.meta.step).toBe(0);
    // Put back at step 0, its next step is exactly a new run's first step (same seed, same weights, same batch).
    m.run.restore(m.fresh.meta, m.fresh.tensors);
    const twin = new TrainingRun(m.run.cfg, data);
    await m.run.trainSteps(1);
    await twin.trainSteps(1);
    expect(m.run.history[0].total).toBe(twin.history[0].total);
    twin.dispose();
    m.run.dispose();
  });

  it('keeps no run when the chosen size is forced to another one', async () => {
    const made: TrainingRun[] = [];
    const r = await chooseForDevice({ ...cfg, ndf: 12 }, data, { size: false, backend: true, fresh: true }, null, undefined, (c) => {
      const run = new TrainingRun(c, data);
      made.push(run);
      return run;
    });
    expect(r.config.ndf).toBe(12);
    expect(r.measured).toBeUndefined();
    // All timed runs were disposed: using their weights now fails.
    expect(made.length).toBeGreaterThan(0);
    for (const run of made) expect(run.model.encoder.trainable.every((v) => v.isDisposed)).toBe(true);
  });
});
