/**
 * The run bundle the page and the PyTorch twin (python/infomax_lab) hand each other, both ways:
 *
 *   config.json            the app's config (validate() accepts it)
 *   weights.safetensors    the encoder by the app's weight names and shapes (plan.ts), float32
 *   optimizer.safetensors  Adam moments per weight (adam.m.<name>, adam.v.<name>), the probe (probe.<name>) and its
 *                          Adam (probe-adam.m.<name>, …); __metadata__.state holds step counts, sampler and
 *                          generator states as JSON, so the run continues exactly where it stopped
 *   README.md              the command line that continues the run in PyTorch
 *
 * Pure (no tfjs, no DOM): the page builds and checks bundles before anything reaches the worker.
 */
import { validate, type Config } from '../config';
import type { CheckpointMeta } from '../train/checkpoint';
import type { NamedTensor } from '../train/types';
import { checkWeights, ModelImportError, type InputFile, type NamedWeights } from './import';
import { weightShapes } from './plan';
import { readSafetensors, toFloat32, writeSafetensors, type StTensor } from './safetensors';

export const BUNDLE_FORMAT = 'infomax-lab-bundle';
export const BUNDLE_VERSION = '1';

export interface BundleState {
  step: number;
  adamStep: number;
  probeAdamStep: number;
  sampler?: CheckpointMeta['sampler'];
  augRng?: CheckpointMeta['augRng'];
  negRng?: CheckpointMeta['negRng'];
  time?: number;
}

export interface Bundle {
  config: Config;
  weights: NamedWeights;
  /** Adam and probe by name, with the run's state; null when the bundle carries only weights. */
  optimizer: { tensors: Record<string, NamedTensor>; state: BundleState } | null;
}

const encoderOpts = (c: Config) => ({ ndf: c.ndf, nRkhs: c.nRkhs, nDepth: c.nDepth, imageSize: c.imageSize, useBn: c.useBn === 1 });

const isStat = (n: string) => /\.running_(mean|var)$/.test(n);

/** Encoder weights that Adam updates, in the order of its flat moments (creation order, BN statistics left out). */
export function trainableNames(c: Config): string[] {
  return weightShapes(encoderOpts(c)).map(([n]) => n).filter((n) => !isStat(n));
}

/** The command that continues a bundle in PyTorch, run from the bundle's folder. */
export function commandLine(step: number, nproc = 1): string {
  return ['python3 -m infomax_lab.train', nproc > 1 ? `--nproc ${nproc}` : '', '--config config.json --data PHOTOS --resume . --out continued', `--steps ${Math.max(1000, step)}`]
    .filter(Boolean)
    .join(' ');
}

export function bundleReadme(c: Config, step: number, source: string): string {
  return `# InfoMax Lab run bundle

Written by ${source} at step ${step}: AMDIM, ndf ${c.ndf}, nRkhs ${c.nRkhs}, nDepth ${c.nDepth}, ${c.imageSize} px, batch ${c.batchSize}, seed ${c.seed}.

Continue it in PyTorch (needs torch >= 1.13 and Pillow; the package is the repository's \`python/\` folder):

\`\`\`
cd THIS_FOLDER && PYTHONPATH=/path/to/infomax-lab/python ${commandLine(step)}
\`\`\`

Replace PHOTOS with your photo folder (sub-folders = labels, or flat; the same folder you trained on in the page
continues the same batches). Add \`--nproc 2\` for two processes on this machine, or on a GPU node
\`torchrun --nproc_per_node 8 -m infomax_lab.train --config config.json --data PHOTOS --resume . --out continued --steps N\`.
Bring the result back with the page's Model file panel: Import bundle, selecting config.json, weights.safetensors
and optimizer.safetensors from \`continued/\`.
`;
}

const enc = new TextEncoder();

function checkMethod(c: Config): void {
  if (c.method !== 'amdim') throw new ModelImportError(`the PyTorch twin trains AMDIM; this run is Deep InfoMax (config.method "${c.method}")`);
}

/** A page checkpoint (weights, flat Adam moments, probe, sampler, generators) as bundle files. */
export function bundleFromCheckpoint(meta: CheckpointMeta, tensors: Record<string, NamedTensor>, source = 'InfoMax Lab (browser)'): Record<string, Uint8Array> {
  const c = meta.config;
  checkMethod(c);
  const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name] of weightShapes(encoderOpts(c))) {
    const t = tensors[`encoder/${name}`];
    if (!t) throw new ModelImportError(`checkpoint: tensor encoder/${name} is missing`);
    weights[name] = { shape: t.shape, data: Float32Array.from(t.data) };
  }
  const opt: Record<string, { shape: number[]; data: Float32Array }> = {};
  const unflatten = (prefix: string, names: string[], shapes: number[][]) => {
    const m = tensors[`${prefix}/0`], v = tensors[`${prefix}/1`];
    const total = shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
    if (!m || !v || m.data.length !== total || v.data.length !== total) throw new ModelImportError(`checkpoint: ${prefix} moments are not the flat Adam state (version 2)`);
    let o = 0;
    names.forEach((n, k) => {
      const size = shapes[k].reduce((a, b) => a * b, 1);
      opt[`${prefix}.m.${n}`] = { shape: shapes[k], data: Float32Array.from(m.data).subarray(o, o + size).slice() };
      opt[`${prefix}.v.${n}`] = { shape: shapes[k], data: Float32Array.from(v.data).subarray(o, o + size).slice() };
      o += size;
    });
  };
  const names = trainableNames(c);
  unflatten('adam', names, names.map((n) => weights[n].shape));
  // the classifiers: every tensor (BatchNorm statistics too), Adam moments for the trainable ones in their order
  const probeNames = Object.keys(tensors).filter((k) => k.startsWith('probe/')).map((k) => k.slice(6));
  for (const n of probeNames) opt[`probe.${n}`] = { shape: tensors[`probe/${n}`].shape, data: Float32Array.from(tensors[`probe/${n}`].data) };
  const probeTrainable = probeNames.filter((n) => !isStat(n));
  if (probeTrainable.length) unflatten('probe-adam', probeTrainable, probeTrainable.map((n) => tensors[`probe/${n}`].shape));
  const state: BundleState = { step: meta.step, adamStep: meta.adamStep, probeAdamStep: meta.probeAdamStep, sampler: meta.sampler, augRng: meta.augRng, negRng: meta.negRng, time: meta.time };
  return files(c, weights, opt, state, source);
}

/** Weights alone (a run that has not saved a checkpoint yet): the twin starts a fresh optimiser from them. */
export function bundleFromWeights(c: Config, weights: NamedWeights, source = 'InfoMax Lab (browser)'): Record<string, Uint8Array> {
  checkMethod(c);
  checkWeights(weights, encoderOpts(c));
  return files(c, weights, null, { step: 0, adamStep: 0, probeAdamStep: 0 }, source);
}

function files(c: Config, weights: NamedWeights, opt: Record<string, { shape: number[]; data: Float32Array }> | null, state: BundleState, source: string) {
  const meta = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, encoder: JSON.stringify(encoderOpts(c)) };
  const out: Record<string, Uint8Array> = {
    'config.json': enc.encode(JSON.stringify(c, null, 2)),
    'weights.safetensors': writeSafetensors(weights, meta),
  };
  if (opt) out['optimizer.safetensors'] = writeSafetensors(opt, { ...meta, state: JSON.stringify(state) });
  out['README.md'] = enc.encode(bundleReadme(c, state.step, source));
  return out;
}

const fail = (m: string): never => {
  throw new ModelImportError(m);
};

/** Selected files → a checked bundle; throws ModelImportError naming the first problem. */
export function readBundle(input: InputFile[]): Bundle {
  const byName = new Map(input.map((f) => [f.name.split('/').pop()!, f]));
  const cfgFile = byName.get('config.json') ?? fail('no config.json selected: select config.json, weights.safetensors (and optimizer.safetensors) together');
  const wFile = byName.get('weights.safetensors') ?? fail('no weights.safetensors selected: select it together with config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(cfgFile.bytes));
  } catch (e) {
    return fail(`config.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  let config: Config;
  try {
    config = validate(raw);
  } catch (e) {
    return fail(`config.json: ${e instanceof Error ? e.message : String(e)}`);
  }
  const w = read(wFile, 'weights.safetensors');
  const weights: NamedWeights = {};
  for (const [n, t] of Object.entries(w.tensors)) weights[n] = { shape: t.shape, data: floats(t, n) };
  checkWeights(weights, encoderOpts(config), ' (in weights.safetensors)');
  const oFile = byName.get('optimizer.safetensors');
  if (!oFile) return { config, weights, optimizer: null };
  const o = read(oFile, 'optimizer.safetensors');
  let state: BundleState;
  try {
    state = JSON.parse(o.metadata.state ?? '');
  } catch {
    return fail('optimizer.safetensors: its __metadata__ has no "state" JSON');
  }
  if (!Number.isInteger(state?.step) || !Number.isInteger(state?.adamStep)) fail('optimizer.safetensors: state needs whole-number step and adamStep');
  const tensors: Record<string, NamedTensor> = {};
  for (const [n, t] of Object.entries(o.tensors)) tensors[n] = { shape: t.shape, data: floats(t, n) };
  for (const n of trainableNames(config))
    for (const k of [`adam.m.${n}`, `adam.v.${n}`]) {
      const t = tensors[k] ?? fail(`optimizer.safetensors: missing ${k}`);
      if (t.shape.join() !== weights[n].shape.join()) fail(`optimizer.safetensors: ${k} has shape [${t.shape}], the weight has [${weights[n].shape}]`);
    }
  return { config, weights, optimizer: { tensors, state } };
}

function read(f: InputFile, what: string) {
  try {
    return readSafetensors(f.bytes);
  } catch (e) {
    return fail(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function floats(t: StTensor, name: string): Float32Array {
  if (!['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) fail(`${name}: expected floating-point values, got ${t.dtype}`);
  return Float32Array.from(toFloat32(t));
}

/**
 * The bundle as a page checkpoint for `config` (the bundle's model on the page's dataset): weights, the flat Adam
 * moments, probe and state. Null when it cannot continue exactly: no optimiser state, or a probe or sampler for
 * another dataset (trainCount/classes differ); the caller then loads the weights alone.
 */
export function bundleToCheckpoint(b: Bundle, config: Config, trainCount: number, nClasses: number): { meta: CheckpointMeta; tensors: Record<string, NamedTensor> } | null {
  const o = b.optimizer;
  if (!o || !o.state.sampler || !o.state.augRng || !o.state.negRng) return null;
  if (o.state.sampler.count !== trainCount || o.state.sampler.batch !== config.batchSize) return null;
  const probeNames = Object.keys(o.tensors).filter((k) => k.startsWith('probe.')).map((k) => k.slice(6));
  // every classifier's output layer must have this dataset's classes
  const outputs = probeNames.filter((n) => /(^|\.)fc2?\.weight$/.test(n));
  if (!outputs.length || outputs.some((n) => o.tensors[`probe.${n}`].shape[1] !== nClasses)) return null;
  const tensors: Record<string, NamedTensor> = {};
  for (const [n, t] of Object.entries(b.weights)) tensors[`encoder/${n}`] = t;
  const flat = (prefix: string, names: string[]) => {
    for (const part of ['m', 'v'] as const) {
      const parts = names.map((n) => o.tensors[`${prefix}.${part}.${n}`]?.data ?? fail(`optimizer.safetensors: missing ${prefix}.${part}.${n}`));
      const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
      tensors[`${prefix}/${part === 'm' ? 0 : 1}`] = { shape: [data.length], data };
    }
  };
  flat('adam', trainableNames(config));
  tensors['adam/2'] = { shape: [], data: Float32Array.of(o.state.adamStep) };
  for (const n of probeNames) tensors[`probe/${n}`] = o.tensors[`probe.${n}`];
  flat('probe-adam', probeNames.filter((n) => !isStat(n)));
  tensors['probe-adam/2'] = { shape: [], data: Float32Array.of(o.state.probeAdamStep) };
  const meta: CheckpointMeta = {
    version: 2, config, step: o.state.step, time: o.state.time ?? 0, adamStep: o.state.adamStep, probeAdamStep: o.state.probeAdamStep,
    sampler: o.state.sampler, augRng: o.state.augRng, negRng: o.state.negRng, history: [], evalHistory: [], savedAt: Date.now(),
  };
  return { meta, tensors };
}
