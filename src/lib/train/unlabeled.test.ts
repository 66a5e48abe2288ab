import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { isLabeled, noLabelsReason, type Dataset } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import type { MetricPoint } from './types';
import { TrainingRun } from './loop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = preset('tiny', { trainCount: 48, testCount: 24, probeSize: 24, logEvery: 2 });
const base = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

/** A flat folder: the same pixels, no classes, no labels. */
const flat: Dataset = { ...base, id: 'flat', classNames: [], train: { ...base.train, labels: null }, test: { ...base.test, labels: null } };
/** A folder with one sub-folder: every image is class 0. */
const oneClass: Dataset = {
  ...base,
  id: 'one',
  classNames: ['holiday'],
  train: { ...base.train, labels: new Int32Array(base.train.count) },
  test: { ...base.test, labels: new Int32Array(base.test.count) },
};

describe('training without usable labels', () => {
  it('tells labeled from unlabeled and one-class datasets, and says why in words', () => {
    expect(isLabeled(base)).toBe(true);
    expect(isLabeled(flat)).toBe(false);
    expect(isLabeled(oneClass)).toBe(false);
    expect(noLabelsReason([])).toBe('no labels');
    expect(noLabelsReason(['holiday'])).toMatch(/one class.*holiday/);
    expect(noLabelsReason(['a', 'b'])).toBeNull();
  });

  for (const [name, data] of [['a flat (unlabeled) folder', flat], ['a one-class folder', oneClass]] as const) {
    it(`trains a few steps on ${name}, learns, and reports no scores instead of failing`, async () => {
      const points: MetricPoint[] = [];
      const run = new TrainingRun(cfg, data, { onMetrics: (p) => points.push(...p) });
      expect(run.labeled).toBe(false);
      const w0 = (await run.model.encoder.trainable[0].data()).slice();
      await run.trainSteps(4);
      expect(points.map((p) => p.step)).toEqual([1, 2, 3, 4]);
      for (const p of points) {
        expect(Number.isFinite(p.total)).toBe(true);
        expect(Number.isFinite(p.nceEst1t5) && Number.isFinite(p.bound1t5)).toBe(true);
        expect(p.probeLoss).toBe(0); // no probe is trained
        expect(p.probeAcc).toBeNaN(); // and its accuracy is not shown as 0%
      }
      // the encoder did move
      const w1 = await run.model.encoder.trainable[0].data();
      expect(w1.some((v, i) => v !== w0[i])).toBe(true);
      const { point, snapshot } = await run.evaluate();
      for (const k of ['knnTrained', 'knnRandom', 'knnPixels', 'linTrained', 'linRandom', 'linPixels', 'probeOnline'] as const) expect(point[k], k).toBeNaN();
      // the map still gets every held-out photo's features, without colours by class
      expect(snapshot.n).toBe(cfg.probeSize);
      expect(snapshot.labels).toBeNull();
      expect(snapshot.features.length).toBe(snapshot.n * cfg.nRkhs);
      expect(snapshot.features.every(Number.isFinite)).toBe(true);
      // checkpoint and resume work the same
      const ck = await run.checkpoint();
      const again = new TrainingRun(cfg, data);
      again.restore(ck.meta, ck.tensors);
      expect(again.step).toBe(4);
      await again.trainSteps(1);
      again.dispose();
      run.dispose();
    });
  }

  it('still trains the probe and scores on a labeled dataset (the control)', async () => {
    const points: MetricPoint[] = [];
    const run = new TrainingRun(cfg, base, { onMetrics: (p) => points.push(...p) });
    await run.trainSteps(2);
    expect(points.every((p) => p.probeLoss > 0 && Number.isFinite(p.probeAcc))).toBe(true);
    const { point } = await run.evaluate();
    for (const k of ['knnTrained', 'knnRandom', 'knnPixels', 'linTrained', 'linRandom', 'linPixels', 'probeOnline'] as const) expect(Number.isFinite(point[k]), k).toBe(true);
    run.dispose();
  }, 300_000); // the raw-pixel baseline fits a softmax on 3,072 dimensions
});
