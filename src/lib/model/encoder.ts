/**
 * The AMDIM encoder (SCIENCE.md §4) in functional tfjs with explicit variables, so weights can be listed,
 * checkpointed and exported. Valid convolutions throughout; every residual layer starts as the identity
 * (its closing 1×1 conv is zero), so a fresh deep stack passes its (pooled) input straight through.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { convKxKFast } from './fastconv';
import { createHead } from './heads';
import {
  ParamBank,
  batchNorm,
  conv1x1,
  convKxK,
  createBatchNorm,
  heBound,
  updateRunningStats,
  type BatchNormParams,
} from './params';

export interface EncoderOptions {
  ndf: number;
  nRkhs: number;
  nDepth: number;
  imageSize: 32 | 64;
  /**
   * 'fast' (default): k×k convolutions with matmul-shaped gradients (fastconv.ts) and BatchNorm with a
   * written-out gradient. 'baseline': the first,
   * straightforward tf.conv2d gradients, kept runnable so the benchmark can show the before/after.
   */
  impl?: Impl;
}

export type Impl = 'baseline' | 'fast';
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
  forward(x: tf.Tensor4D, training: boolean): { features: Features; bnStats: tf.Tensor[] };
  /** r1 alone, flattened: skips the r5/r7 heads. */
  embed(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** Momentum-0.1 update of the running statistics from `forward(…, true).bnStats`; call outside the tape. */
  updateRunningStats(bnStats: tf.Tensor[]): void;
  namedWeights(): Record<string, tf.Variable>;
  dispose(): void;
}

/** CIFAR-10 channel statistics (those the official AMDIM code normalises with). */
export const INPUT_MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255];
export const INPUT_STD = [63.0 / 255, 62.1 / 255, 66.7 / 255];

export interface ResNxN {
  apply(x: tf.Tensor4D): tf.Tensor4D;
  shortcut(x: tf.Tensor4D): tf.Tensor4D;
}

/** h = conv1×1(ReLU(conv_k×k,s(x))) + shortcut(x), no ReLU after the sum; the 1×1 conv starts at zero. */
export function createResNxN(bank: ParamBank, name: string, nIn: number, nOut: number, k: number, s: number, conv: ConvFn = convKxK): ResNxN {
  const wk = bank.uniform(`${name}.conv1.weight`, k === 1 ? [nIn, nOut] : [k, k, nIn, nOut], heBound(k * k * nIn));
  const bk = bank.constant(`${name}.conv1.bias`, [nOut], 0);
  const w1 = bank.constant(`${name}.conv2.weight`, [nOut, nOut], 0);
  const b1 = bank.constant(`${name}.conv2.bias`, [nOut], 0);
  const shortcut = (x: tf.Tensor4D): tf.Tensor4D => {
    let h = k > 1 || s > 1 ? tf.avgPool(x, k, s, 'valid') : x; // (B, H', W', nIn)
    if (nOut > nIn) h = tf.pad(h, [[0, 0], [0, 0], [0, 0], [0, nOut - nIn]]); // (B, H', W', nOut)
    else if (nOut < nIn) h = tf.slice(h, [0, 0, 0, 0], [-1, -1, -1, nOut]); // (B, H', W', nOut)
    return h;
  };
  return {
    shortcut,
    apply(x) {
      if (k === 1 && s !== 1) throw new Error(`ResNxN ${name}: a 1×1 layer must have stride 1`);
      const a = k === 1 ? conv1x1(x, wk, bk) : tf.add(conv(x, wk as tf.Tensor4D, s), bk); // (B, H', W', nOut)
      return tf.add(conv1x1(tf.relu(a) as tf.Tensor4D, w1, b1), shortcut(x)); // (B, H', W', nOut)
    },
  };
}

/** One k×k strided ResNxN, then (nDepth − 1) ResNxN 1×1. */
function createBlock(bank: ParamBank, name: string, nIn: number, nOut: number, k: number, s: number, nDepth: number, conv: ConvFn): ResNxN[] {
  const layers = [createResNxN(bank, `${name}.0`, nIn, nOut, k, s, conv)];
  for (let d = 1; d < nDepth; d++) layers.push(createResNxN(bank, `${name}.${d}`, nOut, nOut, 1, 1));
  return layers;
}

function checkOptions(o: EncoderOptions): void {
  const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (!positiveInt(o.ndf)) throw new Error(`encoder: ndf must be a positive integer, got ${o.ndf}`);
  if (!positiveInt(o.nRkhs)) throw new Error(`encoder: nRkhs must be a positive integer, got ${o.nRkhs}`);
  if (!positiveInt(o.nDepth)) throw new Error(`encoder: nDepth must be a positive integer, got ${o.nDepth}`);
  if (o.imageSize !== 32 && o.imageSize !== 64) throw new Error(`encoder: imageSize must be 32 or 64, got ${o.imageSize}`);
  if (o.impl !== undefined && o.impl !== 'baseline' && o.impl !== 'fast') throw new Error(`encoder: impl must be 'baseline' or 'fast', got ${o.impl}`);
}

export function createEncoder(opts: EncoderOptions, rng: Rng): Encoder {
  checkOptions(opts);
  const { ndf, nRkhs, nDepth, imageSize } = opts;
  const bank = new ParamBank(rng);
  const big = imageSize === 64;
  const w7 = big ? 8 * ndf : 4 * ndf; // channels of the 7×7 and 5×5 maps
  const fast = (opts.impl ?? 'fast') === 'fast';
  const conv: ConvFn = fast ? convKxKFast : convKxK;

  // Stem: Conv3×3(3→ndf)+ReLU, then ResNxN 1×1.                             32 px: 30 | 64 px: 62
  const stemW = bank.uniform('stem.conv.weight', [3, 3, 3, ndf], heBound(27));
  const stemB = bank.constant('stem.conv.bias', [ndf], 0);
  const stemRes = createResNxN(bank, 'stem.res', ndf, ndf, 1, 1, conv);
  // Down to 7×7: 32 px 30→14→7; 64 px 62→30→14→7.
  const down: ResNxN[][] = big
    ? [
        createBlock(bank, 'block1', ndf, 2 * ndf, 4, 2, nDepth, conv),
        createBlock(bank, 'block2', 2 * ndf, 4 * ndf, 4, 2, nDepth, conv),
        createBlock(bank, 'block3', 4 * ndf, 8 * ndf, 2, 2, nDepth, conv),
      ]
    : [createBlock(bank, 'block1', ndf, 2 * ndf, 4, 2, nDepth, conv), createBlock(bank, 'block2', 2 * ndf, 4 * ndf, 2, 2, nDepth, conv)];
  const to5 = createBlock(bank, 'block5', w7, w7, 3, 1, nDepth, conv); // 7 → 5
  const to3 = createBlock(bank, 'block3x3', w7, w7, 3, 1, nDepth, conv); // 5 → 3
  const to1 = createResNxN(bank, 'rkhs', w7, nRkhs, 3, 1, conv); // 3 → 1
  const bn1 = createBatchNorm(bank, 'rkhs.bn', nRkhs);
  const head7 = createHead(bank, 'head7', w7, nRkhs, fast);
  const head5 = createHead(bank, 'head5', w7, nRkhs, fast);
  // Order of the statistics forward() pushes: bn1, head7, head5.
  const bns: BatchNormParams[] = [bn1, head7.bn, head5.bn];

  const mean = tf.keep(tf.tensor1d(INPUT_MEAN));
  const invStd = tf.keep(tf.tensor1d(INPUT_STD.map((s) => 1 / s)));

  const checkInput = (x: tf.Tensor): void => {
    const [, h, w, c] = x.shape;
    if (x.rank !== 4 || h !== imageSize || w !== imageSize || c !== 3)
      throw new Error(`encoder: expected input (B, ${imageSize}, ${imageSize}, 3), got (${x.shape.join(', ')})`);
  };

  /** Runs the trunk; returns the 7×7, 5×5 maps and r1 after its BatchNorm. */
  const trunk = (x: tf.Tensor4D, training: boolean, stats: tf.Tensor[]) => {
    checkInput(x);
    let h = tf.mul(tf.sub(x, mean), invStd) as tf.Tensor4D; // (B, S, S, 3)
    h = tf.relu(tf.add(conv(h, stemW as tf.Tensor4D, 1, false), stemB)) as tf.Tensor4D; // (B, S-2, S-2, ndf)
    h = stemRes.apply(h); // (B, S-2, S-2, ndf)
    for (const block of down) for (const layer of block) h = layer.apply(h);
    const m7 = h; // (B, 7, 7, w7)
    for (const layer of to5) h = layer.apply(h);
    const m5 = h; // (B, 5, 5, w7)
    for (const layer of to3) h = layer.apply(h); // (B, 3, 3, w7)
    const r1 = batchNorm(to1.apply(h), bn1, training, stats, fast); // (B, 1, 1, nRkhs)
    return { m7, m5, r1 };
  };

  return {
    opts: { ...opts },
    trainable: bank.trainable,
    nonTrainable: bank.nonTrainable,
    forward(x, training) {
      const bnStats: tf.Tensor[] = [];
      const { m7, m5, r1 } = trunk(x, training, bnStats);
      const r7 = head7.apply(m7, training, bnStats); // (B, 7, 7, nRkhs)
      const r5 = head5.apply(m5, training, bnStats); // (B, 5, 5, nRkhs)
      return { features: { r1, r5, r7 }, bnStats };
    },
    embed(x, training) {
      const stats: tf.Tensor[] = [];
      const r1 = trunk(x, training, stats).r1;
      return tf.reshape(r1, [r1.shape[0], nRkhs]); // (B, nRkhs)
    },
    updateRunningStats(bnStats) {
      updateRunningStats(bns, bnStats);
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
