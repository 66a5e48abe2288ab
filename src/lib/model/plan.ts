/**
 * The one description of the AMDIM encoder (the official `model.py` Encoder for 32 and 64 px): every layer
 * with its widths, kernel, stride and spatial sizes, and every weight with its name, shape, initialisation
 * and whether it trains, in creation (checkpoint) order. The tfjs model (encoder.ts), the graph-model export
 * (export.ts), the import check (import.ts) and the FLOP count (bench/flops.ts) are all built from this.
 * No tfjs import, so the page can check an imported model file without loading TensorFlow.js.
 *
 * Weight names (also used by the PyTorch twin's safetensors bundle):
 *   stem.conv.{weight,bias}                      Conv3x3 (3 → ndf), PyTorch default init, bias included
 *   <layer>.conv1.weight                         ConvResNxN k×k conv, no bias; (k, k, in, out), or (in, out) for k = 1
 *   <layer>.conv2.weight                         ConvResNxN closing 1×1 conv, no bias, (out, out), starts at zero
 *   <layer>.bn1.*                                ConvResNxN BatchNorm after conv1 (only with useBn)
 *   bn7.*                                        MaybeBatchNorm2d on the 7×7 map (only with useBn)
 *   rkhs.bn.*                                    the BatchNorm on r1 (always)
 *   head{7,5}.conv1.weight, .conv2.weight        FakeRKHSConvNet 1×1 convs, no bias, (in, out)
 *   head{7,5}.bn_hid.*                           its hidden BatchNorm (only with useBn)
 *   head{7,5}.bn_out.*                           its output BatchNorm (always)
 *   head{7,5}.shortcut.{weight,bias}             its 1×1 shortcut with bias
 * where <layer> is stem.res (32 px only), block1.d … block3.d (64 px), block5.d, block3x3.d, rkhs, and a
 * BatchNorm's * is gamma, beta, running_mean, running_var. Layouts are tfjs (NHWC, (k, k, in, out)).
 */
import type { StepImpl } from '../config';

export interface EncoderOptions {
  ndf: number;
  nRkhs: number;
  nDepth: number;
  imageSize: 32 | 64;
  /** The official `use_bn` (default false): BatchNorm inside the residual layers and heads. r1/r5/r7 always get one. */
  useBn?: boolean;
  /** 'fast': matmul-shaped conv gradients and written-out BatchNorm gradients; 'baseline': tf.conv2d's own. */
  impl?: StepImpl;
}

/** Stem: valid Conv3x3 with bias, then ReLU. */
export interface ConvSpec {
  name: string;
  nIn: number;
  nOut: number;
  k: number;
  s: number;
  inSize: number;
  outSize: number;
}

/** ConvResNxN: conv1 k×k/s (no bias) → [bn1] → ReLU → conv2 1×1 (no bias), plus the pooled, zero-padded input. */
export interface ResSpec extends ConvSpec {
  bn: boolean;
}

/** FakeRKHSConvNet: bn_out(conv2(ReLU([bn_hid](conv1 x))) + shortcut(x)), all 1×1, on a size×size map. */
export interface HeadSpec {
  name: 'head7' | 'head5';
  nIn: number;
  nOut: number;
  size: number;
  bnHid: boolean;
}

export interface EncoderPlan {
  opts: EncoderOptions;
  /**
   * Per-channel input normalisation, (x − mean)/std on RGB in [0, 1]: the official code's transforms.Normalize
   * for the dataset the size stands for (32 px: CIFAR-10's statistics; 64 px: STL-10's). Here it is the
   * encoder's first op, so an exported model takes plain RGB.
   */
  input: { mean: number[]; std: number[] };
  useBn: boolean;
  /** Channels of the 7×7 and 5×5 maps. */
  w7: number;
  stem: ConvSpec;
  /** The layers from the stem down to 7×7 (32 px: stem.res, block1, block2; 64 px: block1–3). */
  down: ResSpec[];
  /** The MaybeBatchNorm2d on the 7×7 map: `bn7` with useBn, else none. r7's head reads the map after it. */
  bn7: string | null;
  /** 7 → 5 */
  to5: ResSpec[];
  /** 5 → 3 */
  to3: ResSpec[];
  /** 3 → 1, followed by the BatchNorm `rkhs.bn`. */
  rkhs: ResSpec;
  heads: [HeadSpec, HeadSpec];
}

export type Init = { kind: 'uniform'; bound: number } | { kind: 'const'; value: number } | { kind: 'eyeNoise'; noise: number };

export interface WeightSpec {
  name: string;
  shape: number[];
  init: Init;
  trainable: boolean;
}

/** CIFAR-10 channel statistics (official TransformsC10). */
export const CIFAR_MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255];
export const CIFAR_STD = [63.0 / 255, 62.1 / 255, 66.7 / 255];
/** STL-10 channel statistics (official TransformsSTL10). */
export const STL_MEAN = [0.43, 0.42, 0.39];
export const STL_STD = [0.27, 0.26, 0.27];

/** Spatial size after a valid k×k, stride-s window. */
export const outSize = (size: number, k: number, s: number): number => Math.floor((size - k) / s) + 1;

export function checkOptions(o: EncoderOptions): void {
  const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (!positiveInt(o.ndf)) throw new Error(`encoder: ndf must be a positive integer, got ${o.ndf}`);
  if (!positiveInt(o.nRkhs)) throw new Error(`encoder: nRkhs must be a positive integer, got ${o.nRkhs}`);
  if (!positiveInt(o.nDepth)) throw new Error(`encoder: nDepth must be a positive integer, got ${o.nDepth}`);
  if (o.imageSize !== 32 && o.imageSize !== 64) throw new Error(`encoder: imageSize must be 32 or 64, got ${o.imageSize}`);
  if (o.useBn !== undefined && typeof o.useBn !== 'boolean') throw new Error(`encoder: useBn must be true or false, got ${o.useBn}`);
  if (o.impl !== undefined && o.impl !== 'baseline' && o.impl !== 'fast') throw new Error(`encoder: impl must be 'baseline' or 'fast', got ${o.impl}`);
}

export function encoderPlan(opts: EncoderOptions): EncoderPlan {
  checkOptions(opts);
  const { ndf, nRkhs, nDepth, imageSize } = opts;
  const useBn = opts.useBn ?? false;
  let size: number = imageSize;
  const res = (name: string, nIn: number, nOut: number, k: number, s: number): ResSpec => {
    const l = { name, nIn, nOut, k, s, inSize: size, outSize: outSize(size, k, s), bn: useBn };
    size = l.outSize;
    return l;
  };
  // ConvResBlock: one k×k/s layer, then nDepth − 1 ResNxN 1×1.
  const block = (name: string, nIn: number, nOut: number, k: number, s: number): ResSpec[] => {
    const layers = [res(`${name}.0`, nIn, nOut, k, s)];
    for (let d = 1; d < nDepth; d++) layers.push(res(`${name}.${d}`, nOut, nOut, 1, 1));
    return layers;
  };
  const stem: ConvSpec = { name: 'stem.conv', nIn: 3, nOut: ndf, k: 3, s: 1, inSize: size, outSize: outSize(size, 3, 1) };
  size = stem.outSize; //                                                            32 px: 30 | 64 px: 62
  const down =
    imageSize === 64
      ? [...block('block1', ndf, 2 * ndf, 4, 2), ...block('block2', 2 * ndf, 4 * ndf, 4, 2), ...block('block3', 4 * ndf, 8 * ndf, 2, 2)] // 62→30→14→7
      : [res('stem.res', ndf, ndf, 1, 1), ...block('block1', ndf, 2 * ndf, 4, 2), ...block('block2', 2 * ndf, 4 * ndf, 2, 2)]; // 30→14→7
  const w7 = imageSize === 64 ? 8 * ndf : 4 * ndf;
  const to5 = block('block5', w7, w7, 3, 1);
  const to3 = block('block3x3', w7, w7, 3, 1);
  const rkhs = res('rkhs', w7, nRkhs, 3, 1);
  return {
    opts: { ...opts },
    input: imageSize === 64 ? { mean: STL_MEAN, std: STL_STD } : { mean: CIFAR_MEAN, std: CIFAR_STD },
    useBn,
    w7,
    stem,
    down,
    bn7: useBn ? 'bn7' : null,
    to5,
    to3,
    rkhs,
    heads: [
      { name: 'head7', nIn: w7, nOut: nRkhs, size: 7, bnHid: useBn },
      { name: 'head5', nIn: w7, nOut: nRkhs, size: 5, bnHid: useBn },
    ],
  };
}

const U = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
const ZERO: Init = { kind: 'const', value: 0 };

const bnWeights = (name: string, c: number): WeightSpec[] => [
  { name: `${name}.gamma`, shape: [c], init: { kind: 'const', value: 1 }, trainable: true },
  { name: `${name}.beta`, shape: [c], init: ZERO, trainable: true },
  { name: `${name}.running_mean`, shape: [c], init: ZERO, trainable: false },
  { name: `${name}.running_var`, shape: [c], init: { kind: 'const', value: 1 }, trainable: false },
];

/**
 * ConvResNxN.init_weights: conv1 kaiming-uniform with a = √5, i.e. U(±1/√fan_in); conv2 zero (fixup-style),
 * so a fresh layer is its shortcut. Order as torch registers the modules: conv1, conv2, bn1.
 */
const resWeights = (l: ResSpec): WeightSpec[] => [
  { name: `${l.name}.conv1.weight`, shape: l.k === 1 ? [l.nIn, l.nOut] : [l.k, l.k, l.nIn, l.nOut], init: U(l.k * l.k * l.nIn), trainable: true },
  { name: `${l.name}.conv2.weight`, shape: [l.nOut, l.nOut], init: ZERO, trainable: true },
  ...(l.bn ? bnWeights(`${l.name}.bn1`, l.nOut) : []),
];

/**
 * FakeRKHSConvNet: conv1 U(±1/√fan_in), conv2 zero, the shortcut identity plus U(±0.01) where it can be
 * (nOut ≥ nIn; otherwise torch's default init), its bias torch's default U(±1/√fan_in).
 */
const headWeights = (h: HeadSpec): WeightSpec[] => [
  { name: `${h.name}.conv1.weight`, shape: [h.nIn, h.nOut], init: U(h.nIn), trainable: true },
  { name: `${h.name}.conv2.weight`, shape: [h.nOut, h.nOut], init: ZERO, trainable: true },
  ...(h.bnHid ? bnWeights(`${h.name}.bn_hid`, h.nOut) : []),
  ...bnWeights(`${h.name}.bn_out`, h.nOut),
  { name: `${h.name}.shortcut.weight`, shape: [h.nIn, h.nOut], init: h.nOut >= h.nIn ? { kind: 'eyeNoise', noise: 0.01 } : U(h.nIn), trainable: true },
  { name: `${h.name}.shortcut.bias`, shape: [h.nOut], init: U(h.nIn), trainable: true },
];

/** Every weight of the encoder, in the order the encoder creates them (the checkpoint and random-draw order). */
export function planWeights(plan: EncoderPlan): WeightSpec[] {
  const { stem } = plan;
  return [
    // The stem keeps torch's default Conv2d init (the official init_weights skips it): U(±1/√27), bias too.
    { name: `${stem.name}.weight`, shape: [stem.k, stem.k, stem.nIn, stem.nOut], init: U(stem.k * stem.k * stem.nIn), trainable: true },
    { name: `${stem.name}.bias`, shape: [stem.nOut], init: U(stem.k * stem.k * stem.nIn), trainable: true },
    ...plan.down.flatMap(resWeights),
    ...(plan.bn7 ? bnWeights(plan.bn7, plan.w7) : []),
    ...[...plan.to5, ...plan.to3, plan.rkhs].flatMap(resWeights),
    ...bnWeights('rkhs.bn', plan.opts.nRkhs),
    ...plan.heads.flatMap(headWeights),
  ];
}

/** The BatchNorms in the order a forward pass (trunk, head7, head5) meets them: the order of its statistics. */
export function bnOrder(plan: EncoderPlan): string[] {
  const res = (l: ResSpec) => (l.bn ? [`${l.name}.bn1`] : []);
  return [
    ...plan.down.flatMap(res),
    ...(plan.bn7 ? [plan.bn7] : []),
    ...[...plan.to5, ...plan.to3, plan.rkhs].flatMap(res),
    'rkhs.bn',
    ...plan.heads.flatMap((h) => [...(h.bnHid ? [`${h.name}.bn_hid`] : []), `${h.name}.bn_out`]),
  ];
}

/** [name, shape] of every weight, in creation order. */
export function weightShapes(opts: EncoderOptions): [string, number[]][] {
  return planWeights(encoderPlan(opts)).map((w) => [w.name, w.shape]);
}

/** A matmul-shaped layer for the FLOP count: an out×out map of k×k·cin → cout dot products. */
export interface MatmulLayer {
  name: string;
  k: number;
  out: number;
  cin: number;
  cout: number;
}

/** Every convolution of the plan (k×k and 1×1, shortcuts included), per image. */
export function matmulLayers(plan: EncoderPlan): MatmulLayer[] {
  const L: MatmulLayer[] = [{ name: `${plan.stem.name}.weight`, k: plan.stem.k, out: plan.stem.outSize, cin: plan.stem.nIn, cout: plan.stem.nOut }];
  for (const l of [...plan.down, ...plan.to5, ...plan.to3, plan.rkhs])
    L.push(
      { name: `${l.name}.conv1.weight`, k: l.k, out: l.outSize, cin: l.nIn, cout: l.nOut },
      { name: `${l.name}.conv2.weight`, k: 1, out: l.outSize, cin: l.nOut, cout: l.nOut },
    );
  for (const h of plan.heads)
    for (const [w, cin] of [
      ['conv1', h.nIn],
      ['conv2', h.nOut],
      ['shortcut', h.nIn],
    ] as const)
      L.push({ name: `${h.name}.${w}.weight`, k: 1, out: h.size, cin, cout: h.nOut });
  return L;
}
