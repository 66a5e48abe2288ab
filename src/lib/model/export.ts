/**
 * Export the encoder as a standard TensorFlow.js graph model (model.json + one weights file) that
 * `tf.loadGraphModel` runs anywhere, without this app's code. A layers model would need custom layers
 * (the residual shortcut, eval-mode BatchNorm from running statistics), so the forward pass is written
 * out as a TF GraphDef in JSON, from the encoder plan (plan.ts), with only stock ops: Conv2D, MatMul, AvgPool, Pad, Slice, Relu, Rsqrt,
 * AddV2, Sub, Mul, Reshape, Identity. Every op mirrors the one encoder.ts runs in eval mode, so the
 * features agree to float rounding. Every weight keeps its app name and shape (BatchNorm is not folded),
 * so the same file imports back into a run to continue training.
 *
 * Outputs: `r1` (B, nRkhs), `r5` (B, 5, 5, nRkhs), `r7` (B, 7, 7, nRkhs). Input `image`: (B, S, S, 3) RGB in [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import type { Encoder, EncoderOptions } from './encoder';
import { BN_EPS } from './params';
import { encoderPlan, type ResSpec } from './plan';
import { checkWeights, type NamedWeights } from './import';

export const WEIGHTS_FILE = 'group1-shard1of1.bin';
/** Format version of the metadata block under userDefinedMetadata.infomaxLab. */
/** 2: the official AMDIM layers (no conv biases, head shortcut bias, optional body BatchNorms). */
export const EXPORT_VERSION = 2;

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: NodeDef[]; library: Record<string, never>; versions: { producer: number; minConsumer: number } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  userDefinedMetadata: { infomaxLab: { version: number; encoder: EncoderOptions; input: string; outputs: Record<string, string> } };
}

const FLOAT = { type: 'DT_FLOAT' };
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: btoa(s) });
const shapeAttr = (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });

/** Writes GraphDef nodes and collects the constant tensors that go into the weights file. */
class GraphWriter {
  readonly nodes: NodeDef[] = [];
  readonly specs: WeightSpec[] = [];
  readonly chunks: (Float32Array | Int32Array)[] = [];
  #names = new Set<string>();
  #intConsts = new Map<string, string>();

  #unique(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  op(scope: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    const name = this.#unique(`${scope}/${op}`);
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  placeholder(name: string, dims: number[]): string {
    this.#names.add(name);
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: FLOAT, shape: shapeAttr(dims) } });
    return name;
  }

  const(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`export: ${name} has ${data.length} values, shape [${shape.join(', ')}] needs ${n}`);
    this.#names.add(name);
    const type = { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' };
    this.nodes.push({ name, op: 'Const', attr: { dtype: type, value: { tensor: { dtype: type.type, tensorShape: shapeAttr(shape).shape } } } });
    this.specs.push({ name, shape, dtype });
    this.chunks.push(data);
    return name;
  }

  /** Shape and index arguments, shared between the nodes that use the same values. */
  ints(shape: number[], values: number[]): string {
    const key = `${shape.join('x')}:${values.join(',')}`;
    let name = this.#intConsts.get(key);
    if (!name) {
      name = this.const(`graph/int${this.#intConsts.size}`, shape, Int32Array.from(values));
      this.#intConsts.set(key, name);
    }
    return name;
  }

  weightData(): ArrayBuffer {
    const bytes = this.chunks.reduce((n, c) => n + c.byteLength, 0);
    const out = new Uint8Array(bytes);
    let off = 0;
    for (const c of this.chunks) {
      out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), off);
      off += c.byteLength;
    }
    return out.buffer;
  }
}

/** Builds model.json and its weights file from named weight values (pure: no tfjs). */
export function buildGraphModel(weights: NamedWeights, opts: EncoderOptions): { modelJson: GraphModelJson; weightData: ArrayBuffer } {
  checkWeights(weights, opts);
  const plan = encoderPlan(opts);
  const g = new GraphWriter();
  const w = (name: string) => g.const(name, weights[name].shape, weights[name].data);
  const T = { T: FLOAT };
  const add = (scope: string, a: string, b: string) => g.op(scope, 'AddV2', [a, b], T);
  const mul = (scope: string, a: string, b: string) => g.op(scope, 'Mul', [a, b], T);
  const conv = (scope: string, x: string, f: string, s: number) =>
    g.op(scope, 'Conv2D', [x, f], { T, strides: ints([1, s, s, 1]), padding: str('VALID'), data_format: str('NHWC'), dilations: ints([1, 1, 1, 1]) });
  // A 1×1 conv is a matmul on (B·H·W, C), as params.conv1x1 computes it.
  const conv1x1 = (scope: string, x: string, size: number, nIn: number, nOut: number, wName: string, bName?: string) => {
    let y = g.op(scope, 'MatMul', [g.op(scope, 'Reshape', [x, g.ints([2], [-1, nIn])], T), w(wName)], { T, transpose_a: { b: false }, transpose_b: { b: false } }); // (B·S·S, nOut)
    if (bName) y = add(scope, y, w(bName));
    return g.op(scope, 'Reshape', [y, g.ints([4], [-1, size, size, nOut])], T); // (B, S, S, nOut)
  };
  const eps = g.const('graph/bn_eps', [], Float32Array.of(BN_EPS));
  const batchNorm = (name: string, x: string) => {
    const scale = mul(name, g.op(name, 'Rsqrt', [add(name, w(`${name}.running_var`), eps)], T), w(`${name}.gamma`)); // (C)
    return add(name, mul(name, g.op(name, 'Sub', [x, w(`${name}.running_mean`)], T), scale), w(`${name}.beta`));
  };
  const res = (l: ResSpec, x: string): string => {
    const a0 =
      l.k === 1
        ? conv1x1(l.name, x, l.inSize, l.nIn, l.nOut, `${l.name}.conv1.weight`)
        : conv(l.name, x, w(`${l.name}.conv1.weight`), l.s); // (B, out, out, nOut)
    const a = l.bn ? batchNorm(`${l.name}.bn1`, a0) : a0;
    const h = conv1x1(l.name, g.op(l.name, 'Relu', [a], T), l.outSize, l.nOut, l.nOut, `${l.name}.conv2.weight`);
    let sc = x;
    if (l.k > 1 || l.s > 1)
      sc = g.op(l.name, 'AvgPool', [sc], { T, ksize: ints([1, l.k, l.k, 1]), strides: ints([1, l.s, l.s, 1]), padding: str('VALID'), data_format: str('NHWC') });
    if (l.nOut > l.nIn) sc = g.op(l.name, 'Pad', [sc, g.ints([4, 2], [0, 0, 0, 0, 0, 0, 0, l.nOut - l.nIn])], { T, Tpaddings: { type: 'DT_INT32' } });
    else if (l.nOut < l.nIn) sc = g.op(l.name, 'Slice', [sc, g.ints([4], [0, 0, 0, 0]), g.ints([4], [-1, -1, -1, l.nOut])], { T, Index: { type: 'DT_INT32' } });
    return add(l.name, h, sc); // (B, out, out, nOut)
  };

  const S = opts.imageSize;
  const image = g.placeholder('image', [-1, S, S, 3]);
  const mean = g.const('graph/input_mean', [3], Float32Array.from(plan.input.mean));
  const invStd = g.const('graph/input_inv_std', [3], Float32Array.from(plan.input.std, (s) => 1 / s));
  let x = mul('input', g.op('input', 'Sub', [image, mean], T), invStd); // (B, S, S, 3)
  const { stem } = plan;
  x = g.op('stem', 'Relu', [add('stem', conv('stem', x, w(`${stem.name}.weight`), stem.s), w(`${stem.name}.bias`))], T); // (B, S-2, S-2, ndf)
  for (const l of plan.down) x = res(l, x);
  if (plan.bn7) x = batchNorm(plan.bn7, x);
  const m7 = x; // (B, 7, 7, w7)
  for (const l of plan.to5) x = res(l, x);
  const m5 = x; // (B, 5, 5, w7)
  for (const l of plan.to3) x = res(l, x); // (B, 3, 3, w7)
  x = res(plan.rkhs, x); // (B, 1, 1, nRkhs)
  const r1 = g.op('r1', 'Reshape', [batchNorm('rkhs.bn', x), g.ints([2], [-1, opts.nRkhs])], T); // (B, nRkhs)
  g.nodes.push({ name: 'r1', op: 'Identity', input: [r1], attr: T });
  for (const [h, m] of [
    [plan.heads[0], m7],
    [plan.heads[1], m5],
  ] as const) {
    const t = h.size;
    const a0 = conv1x1(h.name, m, t, h.nIn, h.nOut, `${h.name}.conv1.weight`);
    const a = h.bnHid ? batchNorm(`${h.name}.bn_hid`, a0) : a0;
    const resid = conv1x1(h.name, g.op(h.name, 'Relu', [a], T), t, h.nOut, h.nOut, `${h.name}.conv2.weight`);
    const sc = conv1x1(h.name, m, t, h.nIn, h.nOut, `${h.name}.shortcut.weight`, `${h.name}.shortcut.bias`);
    g.nodes.push({ name: `r${t}`, op: 'Identity', input: [batchNorm(`${h.name}.bn_out`, add(h.name, resid, sc))], attr: T }); // (B, t, t, nRkhs)
  }

  const modelJson: GraphModelJson = {
    format: 'graph-model',
    generatedBy: 'InfoMax Lab',
    convertedBy: 'InfoMax Lab model export',
    modelTopology: { node: g.nodes, library: {}, versions: { producer: 1, minConsumer: 0 } },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: g.specs }],
    userDefinedMetadata: {
      infomaxLab: {
        version: EXPORT_VERSION,
        encoder: { ...opts },
        input: `image: (B, ${S}, ${S}, 3) float32 RGB in [0, 1]`,
        outputs: { r1: `(B, ${opts.nRkhs}) global feature`, r5: `(B, 5, 5, ${opts.nRkhs})`, r7: `(B, 7, 7, ${opts.nRkhs})` },
      },
    },
  };
  return { modelJson, weightData: g.weightData() };
}

/** Reads the encoder's variables (BatchNorm running statistics included) and builds the graph model. */
export async function exportEncoder(encoder: Encoder, opts: EncoderOptions = encoder.opts): Promise<{ modelJson: GraphModelJson; weightData: ArrayBuffer }> {
  const named = encoder.namedWeights();
  const weights: NamedWeights = {};
  for (const [name, v] of Object.entries(named)) weights[name] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
  return buildGraphModel(weights, opts);
}

/**
 * Assigns imported weights into the encoder's variables (after checking every name and shape against the
 * encoder's options). Lives here rather than in import.ts so that import.ts stays free of tfjs for the page.
 */
export function loadEncoderWeights(encoder: Encoder, weights: NamedWeights): void {
  checkWeights(weights, encoder.opts);
  const named = encoder.namedWeights();
  tf.tidy(() => {
    for (const [name, v] of Object.entries(named)) v.assign(tf.tensor(weights[name].data, v.shape, 'float32'));
  });
}
