import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset, type Config } from '../config';
import { gather, relabel } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import { BN_EPS } from '../model/params';
import { rngFor } from '../rng';
import { REFRESH_IMAGES, refreshBatches, refreshForEval } from './bnrefresh';
import { TrainingRun } from './loop';
import { createTrainer, type Trainer } from './step';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** With use_bn off, the encoder's only BatchNorms: r1's, and the r5 / r7 heads' output ones (all terminal). */
const TERMINAL = ['rkhs.bn', 'head5.bn_out', 'head7.bn_out'];

const snapshot = (vars: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Float64Array.from(v.dataSync())]));
const trainerOf = (cfg: Config) => createTrainer(cfg, 10, rngFor(cfg.seed, 'model'));
const allWeights = (t: Trainer) => ({ ...t.encoder.namedWeights(), ...t.probe.namedWeights() });

/**
 * Slow reference: the pre-BatchNorm activations of the terminal BatchNorms, read through an identical encoder
 * in eval mode with γ 1, β 0, running mean 0 and variance 1 (so its output is x/√(1 + ε)), then per batch the
 * per-channel mean and unbiased variance in float64 loops, averaged over the batches.
 */
function referenceStats(cfg: Config, data: ReturnType<typeof makeEmbeddedDataset>): Record<string, { mean: number[]; var: number[] }> {
  const ref = trainerOf(cfg);
  const w = ref.encoder.namedWeights();
  for (const b of TERMINAL) {
    w[`${b}.gamma`].assign(tf.onesLike(w[`${b}.gamma`]));
    w[`${b}.beta`].assign(tf.zerosLike(w[`${b}.beta`]));
    w[`${b}.running_mean`].assign(tf.zerosLike(w[`${b}.running_mean`]));
    w[`${b}.running_var`].assign(tf.onesLike(w[`${b}.running_var`]));
  }
  const D = cfg.nRkhs, S = cfg.imageSize;
  const batches = refreshBatches(data, cfg);
  const acc: Record<string, { mean: number[]; var: number[] }> = {};
  for (const b of TERMINAL) acc[b] = { mean: new Array(D).fill(0), var: new Array(D).fill(0) };
  for (const idx of batches) {
    const x = tf.tidy(() => tf.tensor4d(gather(data.train, idx), [idx.length, S, S, 3], 'int32').toFloat().div(255) as tf.Tensor4D);
    const { features } = ref.encoder.forward(x, false);
    const maps: Record<string, tf.Tensor4D> = { 'rkhs.bn': features.r1, 'head5.bn_out': features.r5, 'head7.bn_out': features.r7 };
    for (const b of TERMINAL) {
      const v = maps[b].dataSync();
      const rows = v.length / D;
      for (let c = 0; c < D; c++) {
        let mu = 0, s2 = 0;
        for (let r = 0; r < rows; r++) mu += (v[r * D + c] * Math.sqrt(1 + BN_EPS)) / rows;
        for (let r = 0; r < rows; r++) s2 += (v[r * D + c] * Math.sqrt(1 + BN_EPS) - mu) ** 2 / (rows - 1);
        acc[b].mean[c] += mu / batches.length;
        acc[b].var[c] += s2 / batches.length;
      }
    }
    tf.dispose([x, features.r1, features.r5, features.r7]);
  }
  ref.dispose();
  return acc;
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return m;
};

describe('BatchNorm re-estimation before evaluation (the official _warmup_batchnorm)', () => {
  const cfg = preset('tiny', { trainCount: 40, testCount: 16, probeSize: 16, batchSize: 8 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('samples a fixed, seeded set of training images in whole batches of the training batch size', () => {
    const b = refreshBatches(data, cfg);
    expect(b.map((x) => x.length)).toEqual([8, 8, 8, 8, 8]); // 40 images, batch 8
    expect(new Set(b.flatMap((x) => Array.from(x))).size).toBe(40);
    expect(refreshBatches(data, { seed: cfg.seed, batchSize: 12 }).map((x) => x.length)).toEqual([12, 12, 12]); // the remainder left out
    expect(refreshBatches(data, cfg).map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    const big = makeEmbeddedDataset({ seed: 1, trainCount: 1000, testCount: 4, size: 32 });
    expect(refreshBatches(big, { seed: 1, batchSize: 100 }).map((x) => x.length)).toEqual([100, 100]); // ≤ REFRESH_IMAGES
    expect(refreshBatches(big, { seed: 1, batchSize: 4 }).length).toBe(16); // ≤ REFRESH_BATCHES
    expect(refreshBatches(big, { seed: 1, batchSize: 400 }).map((x) => x.length)).toEqual([400]); // at least one batch
    expect(REFRESH_IMAGES).toBe(256);
  });

  it('sets the running statistics to the batches\' average statistics (float64 reference), drops the old ones and moves no weight; with use_bn off only the terminal BatchNorms change', () => {
    expect(cfg.useBn).toBe(0);
    const t = trainerOf(cfg);
    // Stale statistics that the refresh must discard (not average in).
    for (const v of t.encoder.nonTrainable) v.assign(tf.add(tf.mul(v, 3), 5));
    const before = snapshot(allWeights(t));
    refreshForEval({ cfg, data }, t);
    const after = snapshot(allWeights(t));
    const changed = Object.keys(before).filter((k) => before[k].some((x, i) => x !== after[k][i]));
    expect(changed.sort()).toEqual(
      [...TERMINAL.flatMap((b) => [`${b}.running_mean`, `${b}.running_var`]), 'mlp.bn.running_mean', 'mlp.bn.running_var'].sort(),
    );
    const ref = referenceStats(cfg, data);
    for (const b of TERMINAL) {
      expect(maxRel(after[`${b}.running_mean`], ref[b].mean), `${b} mean`).toBeLessThan(1e-4);
      expect(maxRel(after[`${b}.running_var`], ref[b].var), `${b} var`).toBeLessThan(1e-4);
    }
    t.dispose();
  });

  it('with use_bn on, re-estimates the body\'s BatchNorms too, still without moving a weight', () => {
    const c = { ...cfg, useBn: 1 as const };
    const t = trainerOf(c);
    const before = snapshot(allWeights(t));
    refreshForEval({ cfg: c, data }, t);
    const after = snapshot(allWeights(t));
    for (const k of Object.keys(before)) {
      const moved = before[k].some((x, i) => x !== after[k][i]);
      if (k.includes('running_')) expect(moved, k).toBe(true);
      else expect(moved, k).toBe(false);
    }
    expect(Object.keys(before).filter((k) => k.includes('.bn1.running_')).length).toBeGreaterThan(0);
    t.dispose();
  });

  it('runs before every evaluation: after run.evaluate() the encoder carries the refreshed statistics', async () => {
    const run = new TrainingRun(cfg, relabel(data, 'none')); // no labels: evaluation encodes, fits nothing
    await run.trainSteps(2);
    await run.evaluate();
    const w = snapshot(run.model.encoder.namedWeights());
    const ref = trainerOf(cfg);
    // The same weights as the run's, then the refresh by hand: the statistics must agree.
    for (const [k, v] of Object.entries(run.model.encoder.namedWeights())) ref.encoder.namedWeights()[k].assign(v);
    for (const v of ref.encoder.nonTrainable) v.assign(tf.zerosLike(v));
    refreshForEval({ cfg, data }, ref);
    const r = snapshot(ref.encoder.namedWeights());
    for (const b of TERMINAL) expect(maxRel(w[`${b}.running_var`], r[`${b}.running_var`]), b).toBeLessThan(1e-5);
    ref.dispose();
    run.dispose();
  }, 120_000);
});
