import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import { TrainingRun } from './loop';
import { probeIndices } from './heldout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('held-out evaluation of a TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

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
});
