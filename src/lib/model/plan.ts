/**
 * The encoder's architecture as plain data: which residual layers it has, with which widths, kernels and
 * strides, and the names and shapes of every weight, in creation (checkpoint) order. No tfjs import, so the
 * page can check an imported model file without loading TensorFlow.js. encoder.ts builds the same network
 * from code; export.test.ts checks the two agree name for name and shape for shape.
 */
import type { EncoderOptions } from './encoder';

export interface ResSpec {
  name: string;
  nIn: number;
  nOut: number;
  k: number;
  s: number;
}

export interface HeadSpec {
  name: 'head7' | 'head5';
  nIn: number;
  nOut: number;
}

export interface EncoderPlan {
  opts: EncoderOptions;
  /** Channels of the 7×7 and 5×5 maps. */
  w7: number;
  /** stem.res, then the strided blocks down to 7×7. */
  down: ResSpec[];
  /** 7 → 5 */
  to5: ResSpec[];
  /** 5 → 3 */
  to3: ResSpec[];
  /** 3 → 1, followed by the BatchNorm `rkhs.bn`. */
  rkhs: ResSpec;
  heads: [HeadSpec, HeadSpec];
}

function block(name: string, nIn: number, nOut: number, k: number, s: number, nDepth: number): ResSpec[] {
  const layers = [{ name: `${name}.0`, nIn, nOut, k, s }];
  for (let d = 1; d < nDepth; d++) layers.push({ name: `${name}.${d}`, nIn: nOut, nOut, k: 1, s: 1 });
  return layers;
}

export function encoderPlan(opts: EncoderOptions): EncoderPlan {
  const { ndf, nRkhs, nDepth, imageSize } = opts;
  const w7 = imageSize === 64 ? 8 * ndf : 4 * ndf;
  const down: ResSpec[] = [{ name: 'stem.res', nIn: ndf, nOut: ndf, k: 1, s: 1 }];
  if (imageSize === 64)
    down.push(
      ...block('block1', ndf, 2 * ndf, 4, 2, nDepth),
      ...block('block2', 2 * ndf, 4 * ndf, 4, 2, nDepth),
      ...block('block3', 4 * ndf, 8 * ndf, 2, 2, nDepth),
    );
  else down.push(...block('block1', ndf, 2 * ndf, 4, 2, nDepth), ...block('block2', 2 * ndf, 4 * ndf, 2, 2, nDepth));
  return {
    opts: { ...opts },
    w7,
    down,
    to5: block('block5', w7, w7, 3, 1, nDepth),
    to3: block('block3x3', w7, w7, 3, 1, nDepth),
    rkhs: { name: 'rkhs', nIn: w7, nOut: nRkhs, k: 3, s: 1 },
    heads: [
      { name: 'head7', nIn: w7, nOut: nRkhs },
      { name: 'head5', nIn: w7, nOut: nRkhs },
    ],
  };
}

const bnShapes = (name: string, c: number): [string, number[]][] =>
  ['gamma', 'beta', 'running_mean', 'running_var'].map((p) => [`${name}.${p}`, [c]]);

const resShapes = ({ name, nIn, nOut, k }: ResSpec): [string, number[]][] => [
  [`${name}.conv1.weight`, k === 1 ? [nIn, nOut] : [k, k, nIn, nOut]],
  [`${name}.conv1.bias`, [nOut]],
  [`${name}.conv2.weight`, [nOut, nOut]],
  [`${name}.conv2.bias`, [nOut]],
];

/** Every weight of the encoder, [name, shape], in the order the encoder creates them. */
export function weightShapes(opts: EncoderOptions): [string, number[]][] {
  const p = encoderPlan(opts);
  const out: [string, number[]][] = [
    ['stem.conv.weight', [3, 3, 3, opts.ndf]],
    ['stem.conv.bias', [opts.ndf]],
  ];
  for (const l of [...p.down, ...p.to5, ...p.to3, p.rkhs]) out.push(...resShapes(l));
  out.push(...bnShapes('rkhs.bn', opts.nRkhs));
  for (const h of p.heads)
    out.push(
      [`${h.name}.conv1.weight`, [h.nIn, h.nOut]],
      [`${h.name}.conv2.weight`, [h.nOut, h.nOut]],
      [`${h.name}.shortcut.weight`, [h.nIn, h.nOut]],
      ...bnShapes(`${h.name}.bn_out`, h.nOut),
    );
  return out;
}

/** Spatial size after a valid k×k, stride-s window. */
export const outSize = (size: number, k: number, s: number): number => Math.floor((size - k) / s) + 1;
