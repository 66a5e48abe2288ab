import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import { TrainingRun } from './loop';
import { evalTrainIndices, pixelPair, probeIndices, scorePair } from './heldout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('held-out evaluation of a TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('evaluates trained, random and raw pixels on the same held-out images with the same classifiers', async () => {
    const run = new TrainingRun(cfg, data);
    const { point, snapshot } = await run.evaluate();
    expect(snapshot.n).toBe(32);
    expect(snapshot.features.length).toBe(32 * cfg.nRkhs);
    expect(Array.from(snapshot.indices)).toEqual(Array.from(probeIndices(data, 32, cfg.seed)));
    expect(point.heldOut).toBe(32);
    expect(point.trainUsed).toBe(64); // the whole (small) training split
    expect(point.knnK).toBe(20);
    expect(point.linConverged).toBe(1);
    for (const v of [point.knnTrained, point.knnRandom, point.knnPixels, point.linTrained, point.linRandom, point.linPixels, point.probeOnline]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    // Raw pixels scored by hand with the same functions on the same images give the same numbers.
    const trainIdx = evalTrainIndices(data, cfg.seed);
    expect(trainIdx.length).toBe(64);
    const l = { train: Int32Array.from(trainIdx, (i) => data.train.labels![i]), test: Int32Array.from(run.probeSet, (i) => data.test.labels![i]), classes: 10 };
    const px = scorePair(await pixelPair(data, trainIdx, run.probeSet), l);
    expect([point.knnPixels, point.linPixels]).toEqual([px.knn, px.linear]);
    // Training moves the trained encoder's scores only; the random encoder and the pixels are computed once.
    await run.trainSteps(2);
    const again = (await run.evaluate()).point;
    expect([again.knnRandom, again.linRandom, again.knnPixels, again.linPixels]).toEqual([point.knnRandom, point.linRandom, point.knnPixels, point.linPixels]);
    run.dispose();
  }, 300_000); // fits a softmax on 3,072 pixel dimensions twice: tens of seconds on a loaded CPU
});
