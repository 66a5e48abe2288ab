/**
 * Replays fixtures/amdim_*.json, written by a PyTorch transcription of the official AMDIM classes
 * (fixtures/make_fixture.py: model.py's Encoder, ConvResNxN, FakeRKHSConvNet and init_weights, costs.py's
 * NCE, torch.optim.Adam with the official warm-up), through the tfjs encoder, loss and optimiser, at 32 and
 * 64 px and with the body BatchNorms on. Both step implementations (baseline and fast) must match it.
 * Every branch of the fixture's weights is non-zero, so the whole path is checked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createAdam, createFlatAdam, officialLrDecay } from '../train/optim';
import { createEncoder, type Encoder } from './encoder';
import f32 from './fixtures/amdim_32.json';
import f32bn from './fixtures/amdim_32_bn.json';
import f64 from './fixtures/amdim_64.json';
import schedule from './fixtures/lr_schedule.json';
import { amdimLoss } from './loss';
import { amdimLossFused } from './lossFused';
import type { StepImpl } from '../config';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Fixture = typeof f32;

const bytes = (b64: string): Uint8Array => Uint8Array.from(Buffer.from(b64, 'base64'));
const floats = (b64: string): Float32Array => {
  const b = bytes(b64);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

/** ‖got − want‖ / max(‖want‖, floor). */
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

function setup(fx: Fixture, impl: StepImpl) {
  const c = fx.config;
  const enc = createEncoder({ ndf: c.ndf, nRkhs: c.nRkhs, nDepth: c.nDepth, imageSize: c.imageSize as 32 | 64, useBn: c.useBn, impl }, new Rng(0));
  for (const [name, v] of Object.entries(enc.namedWeights())) v.assign(tf.tensor(floats(fx.weights[name as keyof typeof fx.weights].data), v.shape));
  const shape: [number, number, number, number] = [c.batch, c.imageSize, c.imageSize, 3];
  const xa = tf.tensor4d(Float32Array.from(bytes(fx.xa), (v) => v / 255), shape);
  const xb = tf.tensor4d(Float32Array.from(bytes(fx.xb), (v) => v / 255), shape);
  return { enc, xa, xb };
}

/** The AMDIM total with each view in its own encoder call (as the trainer runs it); keeps the parts, features, BN stats. */
function lossAndGrads(fx: Fixture, enc: Encoder, xa: tf.Tensor4D, xb: tf.Tensor4D, impl: StepImpl) {
  let kept: { parts: Record<string, tf.Scalar>; feats: tf.Tensor[]; stats: tf.Tensor[][] } | null = null;
  const lossFn = impl === 'fast' ? amdimLossFused : amdimLoss;
  const { value, grads } = tf.variableGrads(() => {
    const a = enc.forward(xa, true);
    const b = enc.forward(xb, true);
    const L = lossFn(a.features, b.features, { tclip: fx.config.tclip, src5: fx.src5 as [number[], number[]] });
    const { r1, r5, r7 } = a.features;
    kept = { parts: { ...L }, feats: [r1, r5, r7].map((t) => tf.keep(t)), stats: [a.bnStats, b.bnStats].map((s) => s.map((t) => tf.keep(t))) };
    Object.values(L).forEach((t) => tf.keep(t));
    return L.total;
  }, enc.trainable);
  return { value, grads, ...kept! };
}

const CASES: [string, Fixture][] = [
  ['32 px', f32],
  ['64 px', f64 as unknown as Fixture],
  ['32 px, use_bn', f32bn as unknown as Fixture],
];

describe('PyTorch transcription of the official AMDIM', () => {
  for (const [label, fx] of CASES)
    for (const impl of ['baseline', 'fast'] as const) {
      it(`${label}, ${impl} step: same weight names, features, losses, gradients, running statistics and Adam updates`, async () => {
        const { enc, xa, xb } = setup(fx, impl);
        const names = Object.keys(enc.namedWeights());
        expect(new Set(names)).toEqual(new Set(Object.keys(fx.weights)));
        for (const [n, v] of Object.entries(enc.namedWeights())) expect(v.shape, n).toEqual(fx.weights[n as keyof typeof fx.weights].shape);

        const step1 = lossAndGrads(fx, enc, xa, xb, impl);
        for (const [k, want] of Object.entries(fx.losses)) {
          const got = (await step1.parts[k].data())[0];
          expect(Math.abs(got - want), `${k}: ${got} vs torch ${want}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        }
        const [r1, r5, r7] = step1.feats;
        expect(relError(await r1.data(), floats(fx.features.r1)), 'r1').toBeLessThan(1e-4);
        expect(relError(await r5.data(), floats(fx.features.r5)), 'r5').toBeLessThan(1e-4);
        expect(relError(await r7.data(), floats(fx.features.r7)), 'r7').toBeLessThan(1e-4);
        const trainNames = names.filter((n) => !n.includes('running'));
        // Gradients relative to their own norm, or to 1e-3 of the whole gradient's norm where a tensor's gradient
        // vanishes in exact arithmetic (a shift before a BatchNorm, a 1-channel conv before one): there float32
        // and float64 round-off differ by ~1e-7 of nothing.
        const wantGrads = trainNames.map((n) => floats(fx.grads[n as keyof typeof fx.grads]));
        const whole = Math.sqrt(wantGrads.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
        for (let k = 0; k < trainNames.length; k++) {
          const g = (await step1.grads[enc.trainable[k].name].data()) as Float32Array;
          if (trainNames[k].endsWith('shortcut.bias')) {
            // It feeds bn_out directly, which removes any per-channel shift: its gradient is exactly zero.
            expect(Math.hypot(...wantGrads[k]), `torch ${trainNames[k]}`).toBeLessThan(1e-12 * whole);
            expect(Math.hypot(...g), trainNames[k]).toBeLessThan(1e-5 * whole);
          } else expect(relError(g, wantGrads[k], 1e-3 * whole), trainNames[k]).toBeLessThan(1e-4);
        }

        // two training-mode calls, two running-average updates (view a, then view b)
        for (const s of step1.stats) enc.updateRunningStats(s);
        const named = enc.namedWeights();
        for (const [n, want] of Object.entries(fx.runningAfterStep)) expect(relError(await named[n].data(), floats(want)), n).toBeLessThan(1e-4);
        const evalR1 = tf.tidy(() => enc.embed(xa, false));
        expect(relError(await evalR1.data(), floats(fx.r1Eval))).toBeLessThan(1e-4);

        const o = fx.config.adam;
        const adam = (impl === 'fast' ? createFlatAdam : createAdam)(enc.trainable, o);
        adam.apply(step1.grads);
        const step2 = lossAndGrads(fx, enc, xa, xb, impl);
        adam.apply(step2.grads);
        for (let k = 0; k < trainNames.length; k++) {
          const want = floats(fx.weightsAfterAdam2[trainNames[k] as keyof typeof fx.weightsAfterAdam2]);
          // Adam divides by √v: weights whose gradient is near zero get the loosest match.
          expect(relError(await enc.trainable[k].data(), want), trainNames[k]).toBeLessThan(1e-3);
        }

        for (const s of [step1, step2]) tf.dispose([s.value, ...s.feats, ...s.stats.flat(), ...Object.values(s.grads), ...Object.values(s.parts)]);
        tf.dispose([xa, xb, evalR1]);
        adam.dispose();
        enc.dispose();
      });
    }
});

describe('the official learning-rate schedule', () => {
  it('matches torch MultiStepLR stepped per epoch as the official loop does, warm-up included', () => {
    const v = tf.variable(tf.zeros([1]));
    const { milestones, gamma } = officialLrDecay(schedule.stepsPerEpoch, schedule.milestones, schedule.gamma);
    const adam = createAdam([v], { lr: schedule.lr, beta1: 0.8, beta2: 0.999, eps: 1e-8, weightDecay: 0, warmup: schedule.warmup, milestones, gamma });
    const got: number[] = [];
    for (let t = 0; t < schedule.lrs.length; t++) {
      got.push(adam.currentLr());
      adam.apply([tf.ones([1])]);
    }
    got.forEach((lr, t) => expect(lr, `update ${t}`).toBeCloseTo(schedule.lrs[t], 12));
    // the app's default epochs: the first drop comes with epoch 251 (0-based), i.e. after 251 epochs
    expect(officialLrDecay(10).milestones).toEqual([2510, 2810]);
    adam.dispose();
    v.dispose();
  });
});
