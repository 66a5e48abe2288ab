/**
 * Replays fixtures/amdim_tiny.json, written by an independent PyTorch implementation (make_fixture.py:
 * NCHW convs, F.batch_norm, the official AMDIM NCE code, torch.optim.Adam), through the tfjs encoder,
 * loss and optimiser. Every branch of the fixture's weights is non-zero, so the whole path is checked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createAdam } from '../train/optim';
import { createEncoder, type Encoder, type Features } from './encoder';
import fixture from './fixtures/amdim_tiny.json';
import { amdimLoss } from './loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = fixture.config;
const weights = fixture.weights as Record<string, { shape: number[]; data: number[] }>;

/** ‖got − want‖ / max(‖want‖, floor): the floor keeps gradients that are zero in exact arithmetic (a bias
 * just before a BatchNorm) from turning float32 round-off into a huge relative error. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-12): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), floor);
}

function views(): { xa: tf.Tensor4D; xb: tf.Tensor4D } {
  const shape: [number, number, number, number] = [cfg.batch, cfg.imageSize, cfg.imageSize, 3];
  return {
    xa: tf.tensor4d(Float32Array.from(fixture.xaBytes, (v) => v / 255), shape),
    xb: tf.tensor4d(Float32Array.from(fixture.xbBytes, (v) => v / 255), shape),
  };
}

function split(f: Features): [Features, Features] {
  const [r1a, r1b] = tf.split(f.r1, 2, 0) as tf.Tensor4D[];
  const [r5a, r5b] = tf.split(f.r5, 2, 0) as tf.Tensor4D[];
  const [r7a, r7b] = tf.split(f.r7, 2, 0) as tf.Tensor4D[];
  return [
    { r1: r1a, r5: r5a, r7: r7a },
    { r1: r1b, r5: r5b, r7: r7b },
  ];
}

/** AMDIM total on both views in one batch (as the trainer runs it); keeps the parts, r1 and BN stats. */
function lossAndGrads(enc: Encoder, xa: tf.Tensor4D, xb: tf.Tensor4D) {
  let kept: { parts: Record<string, tf.Scalar>; r1: tf.Tensor; stats: tf.Tensor[] } | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { features, bnStats } = enc.forward(tf.concat([xa, xb], 0), true);
    const [fa, fb] = split(features);
    const L = amdimLoss(fa, fb, { tclip: cfg.tclip, src5: fixture.src5 as [number[], number[]] });
    kept = { parts: { ...L }, r1: tf.keep(features.r1), stats: bnStats.map((t) => tf.keep(t)) };
    Object.values(L).forEach((t) => tf.keep(t));
    return L.total;
  }, enc.trainable);
  return { value, grads, ...kept! };
}

describe('PyTorch fixture', () => {
  it('has the same weight names and shapes as the tfjs encoder', () => {
    const enc = createEncoder({ ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize: 32 }, new Rng(0));
    const mine = Object.fromEntries(Object.entries(enc.namedWeights()).map(([n, v]) => [n, v.shape]));
    const theirs = Object.fromEntries(Object.entries(weights).map(([n, w]) => [n, w.shape]));
    expect(mine).toEqual(theirs);
    enc.dispose();
  });

  it('gives the same features, losses, gradients, running statistics and Adam updates', async () => {
    const enc = createEncoder({ ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize: 32 }, new Rng(0));
    for (const [name, v] of Object.entries(enc.namedWeights())) v.assign(tf.tensor(weights[name].data, weights[name].shape));
    const { xa, xb } = views();

    const step1 = lossAndGrads(enc, xa, xb);
    for (const [k, want] of Object.entries(fixture.losses)) {
      const got = (await step1.parts[k].data())[0];
      expect(Math.abs(got - want), `${k}: ${got} vs torch ${want}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    }
    expect(relError(await step1.r1.data(), fixture.r1)).toBeLessThan(1e-4);
    const names = Object.keys(enc.namedWeights()).filter((n) => !n.includes('running'));
    for (let k = 0; k < names.length; k++) {
      const g = step1.grads[enc.trainable[k].name];
      expect(relError(await g.data(), (fixture.grads as Record<string, number[]>)[names[k]], 1e-3), names[k]).toBeLessThan(1e-3);
    }

    enc.updateRunningStats(step1.stats);
    const named = enc.namedWeights();
    for (const [n, want] of Object.entries(fixture.runningAfterStep)) expect(relError(await named[n].data(), want), n).toBeLessThan(1e-4);
    const evalR1 = tf.tidy(() => enc.embed(xa, false));
    expect(relError(await evalR1.data(), fixture.r1Eval)).toBeLessThan(1e-4);

    const adam = createAdam(enc.trainable, { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay, warmup: cfg.warmup });
    adam.apply(step1.grads);
    const step2 = lossAndGrads(enc, xa, xb);
    adam.apply(step2.grads);
    for (let k = 0; k < names.length; k++) {
      const want = (fixture.weightsAfterAdam2 as Record<string, number[]>)[names[k]];
      // Adam divides by √v: the near-zero gradients of the biases feeding BatchNorm get the loosest match.
      expect(relError(await enc.trainable[k].data(), want), names[k]).toBeLessThan(1e-3);
    }

    for (const s of [step1, step2]) tf.dispose([s.value, s.r1, ...s.stats, ...Object.values(s.grads), ...Object.values(s.parts)]);
    tf.dispose([xa, xb, evalR1]);
    adam.dispose();
    enc.dispose();
  });
});
