/**
 * The AMDIM encoder (SCIENCE.md §4; the official `model.py` Encoder) in functional tfjs with explicit
 * variables, so weights can be listed, checkpointed and exported. Its layers and weights come from the
 * encoder plan (plan.ts), which export, import and the FLOP count read too. Valid convolutions throughout;
 * every residual layer starts as the identity (its closing 1×1 conv is zero), so a fresh deep stack passes
 * its (pooled) input straight through.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { convKxKFast } from './fastconv';
import { ParamBank, batchNorm, conv1x1, convKxK, updateRunningStats, type BatchNormParams } from './params';
import { bnOrder, encoderPlan, planWeights, type EncoderOptions, type HeadSpec, type ResSpec } from './plan';

export type { EncoderOptions } from './plan';

/** inputGrad false: x is a constant (the image), its gradient may be skipped. */
type ConvFn = (x: tf.Tensor4D, w: tf.Tensor4D, s: number, inputGrad?: boolean) => tf.Tensor4D;

export interface Features {
  r1: tf.Tensor4D; // (B, 1, 1, D)
  r5: tf.Tensor4D; // (B, 5, 5, D)
  r7: tf.Tensor4D; // (B, 7, 7, D)
}

export interface Encoder {
  readonly opts: EncoderOptions;
  /** Named, in a stable creation order (the checkpoint order). */
  readonly trainable: tf.Variable[];
  /** BatchNorm running statistics. */
  readonly nonTrainable: tf.Variable[];
  /**
   * One batch of images (one view: BatchNorm statistics are this batch's). bnStats: (mean, unbiased var)
   * per BatchNorm in training mode, in plan.bnOrder's order; empty in eval mode.
   */
  forward(x: tf.Tensor4D, training: boolean): { features: Features; bnStats: tf.Tensor[] };
  /** r1 alone, flattened: skips the r5/r7 heads. */
  embed(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** Momentum-0.1 (or `momentum`) update of the running statistics from `forward(…, true).bnStats`; call outside the tape. */
  updateRunningStats(bnStats: tf.Tensor[], momentum?: number): void;
  namedWeights(): Record<string, tf.Variable>;
  dispose(): void;
}

/** CIFAR-10 channel statistics, the 32 px input normalisation (plan.input has each size's). */
export { CIFAR_MEAN as INPUT_MEAN, CIFAR_STD as INPUT_STD } from './plan';

type Lookup = (name: string) => tf.Variable;
type BnFn = (name: string, x: tf.Tensor4D) => tf.Tensor4D;

/** ConvResNxN's shortcut: k×k/s average pool, then zero-pad the channels to nOut (or keep the first nOut). */
export function resShortcut(l: Pick<ResSpec, 'nIn' | 'nOut' | 'k' | 's'>, x: tf.Tensor4D): tf.Tensor4D {
  let h = l.k > 1 || l.s > 1 ? tf.avgPool(x, l.k, l.s, 'valid') : x; // (B, H', W', nIn)
  if (l.nOut > l.nIn) h = tf.pad(h, [[0, 0], [0, 0], [0, 0], [0, l.nOut - l.nIn]]); // (B, H', W', nOut)
  else if (l.nOut < l.nIn) h = tf.slice(h, [0, 0, 0, 0], [-1, -1, -1, l.nOut]); // (B, H', W', nOut)
  return h;
}

/** ConvResNxN: conv2_1×1(ReLU([bn1](conv1_k×k,s(x)))) + shortcut(x), no biases, no ReLU after the sum. */
export function applyRes(l: ResSpec, x: tf.Tensor4D, W: Lookup, bn: BnFn, conv: ConvFn = convKxK): tf.Tensor4D {
  const w1 = W(`${l.name}.conv1.weight`);
  let a = l.k === 1 ? conv1x1(x, w1) : conv(x, w1 as tf.Tensor4D, l.s); // (B, H', W', nOut)
  if (l.bn) a = bn(`${l.name}.bn1`, a);
  return tf.add(conv1x1(tf.relu(a) as tf.Tensor4D, W(`${l.name}.conv2.weight`)), resShortcut(l, x)); // (B, H', W', nOut)
}

/** FakeRKHSConvNet: bn_out(conv2(ReLU([bn_hid](conv1 x))) + shortcut(x) + b_sc), all 1×1. */
export function applyHead(h: HeadSpec, x: tf.Tensor4D, W: Lookup, bn: BnFn): tf.Tensor4D {
  let a = conv1x1(x, W(`${h.name}.conv1.weight`)); // (B, t, t, nOut)
  if (h.bnHid) a = bn(`${h.name}.bn_hid`, a);
  const res = conv1x1(tf.relu(a) as tf.Tensor4D, W(`${h.name}.conv2.weight`)); // (B, t, t, nOut)
  const sc = conv1x1(x, W(`${h.name}.shortcut.weight`), W(`${h.name}.shortcut.bias`)); // (B, t, t, nOut)
  return bn(`${h.name}.bn_out`, tf.add(res, sc));
}

export function createEncoder(opts: EncoderOptions, rng: Rng): Encoder {
  const plan = encoderPlan(opts);
  const { imageSize, nRkhs } = opts;
  const bank = new ParamBank(rng);
  for (const spec of planWeights(plan)) bank.create(spec);
  const W: Lookup = (name) => {
    const v = bank.named[name];
    if (!v) throw new Error(`encoder: the plan names no weight "${name}"`);
    return v;
  };
  const bnParams = (name: string): BatchNormParams => ({
    gamma: W(`${name}.gamma`),
    beta: W(`${name}.beta`),
    runMean: W(`${name}.running_mean`),
    runVar: W(`${name}.running_var`),
  });
  // In the order forward() pushes their statistics.
  const bns = bnOrder(plan).map(bnParams);
  const fast = (opts.impl ?? 'fast') === 'fast';
  const conv: ConvFn = fast ? convKxKFast : convKxK;

  const mean = tf.keep(tf.tensor1d(plan.input.mean));
  const invStd = tf.keep(tf.tensor1d(plan.input.std.map((s) => 1 / s)));

  const checkInput = (x: tf.Tensor): void => {
    const [, h, w, c] = x.shape;
    if (x.rank !== 4 || h !== imageSize || w !== imageSize || c !== 3)
      throw new Error(`encoder: expected input (B, ${imageSize}, ${imageSize}, 3), got (${x.shape.join(', ')})`);
  };

  /** Runs the trunk; returns the 7×7, 5×5 maps and r1 after its BatchNorm. */
  const trunk = (x: tf.Tensor4D, bn: BnFn) => {
    checkInput(x);
    let h = tf.mul(tf.sub(x, mean), invStd) as tf.Tensor4D; // (B, S, S, 3)
    h = tf.relu(tf.add(conv(h, W('stem.conv.weight') as tf.Tensor4D, 1, false), W('stem.conv.bias'))) as tf.Tensor4D; // (B, S-2, S-2, ndf)
    for (const l of plan.down) h = applyRes(l, h, W, bn, conv);
    if (plan.bn7) h = bn(plan.bn7, h);
    const m7 = h; // (B, 7, 7, w7)
    for (const l of plan.to5) h = applyRes(l, h, W, bn, conv);
    const m5 = h; // (B, 5, 5, w7)
    for (const l of plan.to3) h = applyRes(l, h, W, bn, conv); // (B, 3, 3, w7)
    const r1 = bn('rkhs.bn', applyRes(plan.rkhs, h, W, bn, conv)); // (B, 1, 1, nRkhs)
    return { m7, m5, r1 };
  };
  const bnFn =
    (training: boolean, stats: tf.Tensor[]): BnFn =>
    (name, x) =>
      batchNorm(x, bnParams(name), training, stats, fast);

  return {
    opts: { ...opts },
    trainable: bank.trainable,
    nonTrainable: bank.nonTrainable,
    forward(x, training) {
      const bnStats: tf.Tensor[] = [];
      const bn = bnFn(training, bnStats);
      const { m7, m5, r1 } = trunk(x, bn);
      const r7 = applyHead(plan.heads[0], m7, W, bn); // (B, 7, 7, nRkhs)
      const r5 = applyHead(plan.heads[1], m5, W, bn); // (B, 5, 5, nRkhs)
      return { features: { r1, r5, r7 }, bnStats };
    },
    embed(x, training) {
      const stats: tf.Tensor[] = [];
      const r1 = trunk(x, bnFn(training, stats)).r1;
      tf.dispose(stats);
      return tf.reshape(r1, [r1.shape[0], nRkhs]); // (B, nRkhs)
    },
    updateRunningStats(bnStats, momentum) {
      updateRunningStats(bns, bnStats, momentum);
    },
    namedWeights() {
      return { ...bank.named };
    },
    dispose() {
      tf.dispose([...bank.trainable, ...bank.nonTrainable, mean, invStd]);
    },
  };
}

/** Number of trainable scalars (for the UI's "parameters" figure). */
export function countParams(vars: tf.Variable[]): number {
  return vars.reduce((n, v) => n + v.size, 0);
}
