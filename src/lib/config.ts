/**
 * The one configuration object. All defaults live in DEFAULTS; presets and overrides list only what they
 * change. `validate()` rejects unknown keys, wrong types and out-of-range values with a message naming the
 * key. The whole config round-trips through the URL hash (only keys that differ from the defaults).
 */

export type Backend = 'auto' | 'webgpu' | 'webgl' | 'cpu';
/** 'auto': the official AMDIM crop for the image size (translate at 32 px, random resized crop at 64 px). */
export type CropMode = 'auto' | 'translate' | 'resized' | 'none';

/** The crop a config means at an image size ('auto' resolved as the official code does). */
export function cropFor(crop: CropMode, size: number): Exclude<CropMode, 'auto'> {
  return crop === 'auto' ? (size >= 64 ? 'resized' : 'translate') : crop;
}
export type Method = 'amdim' | 'dim';
export type DimMode = 'global' | 'local' | 'both';
export type DimEstimator = 'jsd' | 'nce' | 'dv';
export type PresetName = 'tiny' | 'small' | 'medium' | 'demo' | 'large' | 'paper';
/** The training step: 'fast' (default) or 'baseline', the first straightforward step kept for comparison. */
export type StepImpl = 'fast' | 'baseline';
/** 'official': AMDIM's MultiStepLR (×0.2 after epochs 250 and 280 of the training set); 'constant': none. */
export type LrSchedule = 'constant' | 'official';
/** When evaluations while training come (train/evalSchedule.ts). */
export type EvalPace = 'auto' | 'every';

export interface Config {
  /** Every random choice (data, init, augmentation, negatives) flows from this. */
  seed: number;
  /** Dataset id: 'embedded' (generated from the seed) or the id of an imported dataset. */
  dataset: string;
  imageSize: 32 | 64;
  /** Embedded dataset: images in the train and held-out splits. */
  trainCount: number;
  testCount: number;
  method: Method;
  ndf: number;
  nRkhs: number;
  nDepth: number;
  /** The official `--use_bn` (0 by default): BatchNorm inside the encoder body and heads' hidden layer. */
  useBn: 0 | 1;
  tclip: number;
  dimMode: DimMode;
  dimEstimator: DimEstimator;
  /** Deep InfoMax prior matching weight γ (model/prior.ts); 0 = off. */
  dimPrior: number;
  batchSize: number;
  /** Stop after this many steps; 0 trains until paused. */
  steps: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmup: number;
  lrSchedule: LrSchedule;
  flipP: number;
  crop: CropMode;
  translatePx: number;
  translateP: number;
  cropScaleMin: number;
  cropScaleMax: number;
  cropAspectMin: number;
  cropAspectMax: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  jitterP: number;
  grayP: number;
  backend: Backend;
  /** Same maths either way; 'baseline' is the first, straightforward step, kept to show what the fast one gains. */
  impl: StepImpl;
  /** Read metrics back from the GPU every this many steps (batched, asynchronous). */
  logEvery: number;
  /** Held-out images encoded for the embedding view and kNN score. */
  probeSize: number;
  /** Encode the probe set every this many steps. */
  embedEvery: number;
  /**
   * 'auto': the first held-out evaluation while training waits for the curve's first 90 s (or 10 intervals),
   * later ones take at most a quarter of the time (train/evalSchedule.ts); 'every': at every interval.
   */
  evalPace: EvalPace;
  /** Save a checkpoint every this many seconds of training. */
  checkpointSec: number;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  seed: 1,
  dataset: 'embedded',
  imageSize: 32,
  // 2,000 + 500 images: generated in about a second, and as good a yardstick as 5,000 for the first
  // thousands of steps (README: does it learn?).
  trainCount: 2000,
  testCount: 500,
  method: 'amdim',
  ndf: 32,
  nRkhs: 256,
  nDepth: 3,
  useBn: 0,
  tclip: 20,
  dimMode: 'local',
  dimEstimator: 'jsd',
  dimPrior: 0,
  batchSize: 32,
  steps: 0,
  // 1e-3 with a 20-step warm-up: the curve rises in the first minute (README: the first minute); 2e-4 with
  // 500 warm-up steps (the paper's, for batch 200) left the first minute flat.
  lr: 1e-3,
  beta1: 0.8,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 1e-5,
  warmup: 20,
  lrSchedule: 'constant',
  flipP: 0.5,
  crop: 'auto',
  translatePx: 4,
  translateP: 0.8,
  cropScaleMin: 0.3,
  cropScaleMax: 1.0,
  cropAspectMin: 0.7,
  cropAspectMax: 1.4,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.2,
  jitterP: 0.8,
  grayP: 0.25,
  backend: 'auto',
  impl: 'fast',
  logEvery: 5,
  probeSize: 500,
  embedEvery: 50,
  // The first minute is for the curve: on a 2-core CPU the first evaluation (three feature sets, fitted
  // classifiers) stopped training for 87 s at step 50 (README: the first minute).
  evalPace: 'auto',
  checkpointSec: 60,
});

export const PRESETS: Readonly<Record<PresetName, Partial<Config>>> = Object.freeze({
  /** Tests and CPU-only machines: a few hundred ms a step even on software WebGPU. */
  tiny: { ndf: 8, nRkhs: 32, nDepth: 1, batchSize: 4, trainCount: 400, testCount: 200, probeSize: 200, embedEvery: 10, logEvery: 1, warmup: 20, lr: 1e-3 },
  /** Sizes between tiny and demo, and above it: the rungs calibration climbs (train/calibrate.ts LADDER). */
  small: { ndf: 16, nRkhs: 64, nDepth: 1, batchSize: 8 },
  medium: { ndf: 32, nRkhs: 128, nDepth: 2, batchSize: 16 },
  /** A laptop GPU. */
  demo: { ndf: 32, nRkhs: 256, nDepth: 3, batchSize: 32 },
  large: { ndf: 64, nRkhs: 512, nDepth: 3, batchSize: 64 },
  /** The official AMDIM defaults (needs a large GPU). */
  paper: { ndf: 128, nRkhs: 1024, nDepth: 3, batchSize: 200, trainCount: 20000, testCount: 2000, lr: 2e-4, warmup: 500 },
});

type Spec =
  | { kind: 'int'; min: number; max: number; help: string }
  | { kind: 'number'; min: number; max: number; help: string }
  | { kind: 'enum'; options: readonly (string | number)[]; help: string }
  | { kind: 'string'; pattern: RegExp; help: string };

const int = (min: number, max: number, help: string): Spec => ({ kind: 'int', min, max, help });
const num = (min: number, max: number, help: string): Spec => ({ kind: 'number', min, max, help });
const oneOf = (options: readonly (string | number)[], help: string): Spec => ({ kind: 'enum', options, help });

export const SCHEMA: Readonly<Record<keyof Config, Spec>> = Object.freeze({
  seed: int(0, 2 ** 31 - 1, 'Seed for every random choice: data, weights, augmentation, negatives.'),
  dataset: { kind: 'string', pattern: /^[A-Za-z0-9_-]{1,64}$/, help: 'Dataset id: embedded, or an imported dataset.' },
  imageSize: oneOf([32, 64], 'Image side in pixels; 64 adds one stride-2 stage to the encoder.'),
  trainCount: int(16, 100_000, 'Embedded dataset: training images.'),
  testCount: int(16, 20_000, 'Embedded dataset: held-out images (probe and kNN evaluation).'),
  method: oneOf(['amdim', 'dim'], 'AMDIM (two augmented views, multi-scale NCE) or Deep InfoMax (one view).'),
  ndf: int(2, 512, 'Encoder base width; stages use ndf, 2·ndf, 4·ndf channels.'),
  nRkhs: int(4, 4096, 'Embedding size of r1, r5 and r7 (the critic space).'),
  nDepth: int(1, 8, 'ResNxN layers per encoder block.'),
  useBn: oneOf([0, 1], 'BatchNorm inside the encoder (after every ResNxN conv, on the 7×7 map, in the heads’ hidden layer): 1 = on. The official default is 0 (off): only r1, r5 and r7 get a BatchNorm.'),
  tclip: num(1, 1000, 'Soft clip of AMDIM’s NCE scores: c·tanh(s/c) (Deep InfoMax uses plain dot products, as cortex_DIM).'),
  dimMode: oneOf(['global', 'local', 'both'], 'Deep InfoMax: global, local or both objectives.'),
  dimEstimator: oneOf(['jsd', 'nce', 'dv'], 'Deep InfoMax MI estimator.'),
  dimPrior: num(0, 10, 'Deep InfoMax prior matching weight γ: a discriminator learns to tell σ(r1) from uniform [0, 1] samples and the encoder is trained to fool it (adversarial). 0 = off; the DIM paper uses 0.1 with its local objective.'),
  batchSize: int(2, 1024, 'Images per step; each NCE softmax has 1 + (B−1)·t² candidates.'),
  steps: int(0, 10_000_000, 'Stop after this many steps (0 = until paused).'),
  lr: num(1e-6, 1, 'Adam learning rate (after warm-up).'),
  beta1: num(0, 0.9999, 'Adam β1.'),
  beta2: num(0, 0.999999, 'Adam β2.'),
  eps: num(1e-12, 1e-2, 'Adam ε.'),
  weightDecay: num(0, 1, 'L2 weight decay added to the gradient (as torch Adam).'),
  warmup: int(0, 1_000_000, 'Linear learning-rate warm-up, in updates.'),
  lrSchedule: oneOf(['constant', 'official'], 'Learning-rate decay. official: AMDIM’s MultiStepLR, ×0.2 after epoch 250 and again after epoch 280 (an epoch is ⌊training images / batch size⌋ steps, as the official loader drops the last partial batch); constant: no decay.'),
  flipP: num(0, 1, 'Probability of a horizontal flip shared by both views.'),
  crop: oneOf(['auto', 'translate', 'resized', 'none'], 'Translate ±px with reflect padding (CIFAR) or random resized crop, bicubic (STL/ImageNet); auto: as the official code for the image size (translate at 32 px, resized at 64 px).'),
  translatePx: int(0, 16, 'Maximum translation in pixels.'),
  translateP: num(0, 1, 'Probability of the translation.'),
  cropScaleMin: num(0.05, 1, 'Random resized crop: smallest area fraction.'),
  cropScaleMax: num(0.05, 1, 'Random resized crop: largest area fraction.'),
  cropAspectMin: num(0.2, 5, 'Random resized crop: smallest aspect ratio.'),
  cropAspectMax: num(0.2, 5, 'Random resized crop: largest aspect ratio.'),
  brightness: num(0, 1, 'Colour jitter: brightness factor range ±.'),
  contrast: num(0, 1, 'Colour jitter: contrast factor range ±.'),
  saturation: num(0, 1, 'Colour jitter: saturation factor range ±.'),
  hue: num(0, 0.5, 'Colour jitter: hue shift range ± (fraction of a turn).'),
  jitterP: num(0, 1, 'Probability of colour jitter.'),
  grayP: num(0, 1, 'Probability of grayscale.'),
  backend: oneOf(['auto', 'webgpu', 'webgl', 'cpu'], 'Compute backend: auto tries WebGPU, then WebGL, then CPU.'),
  impl: oneOf(['fast', 'baseline'], 'Training step: fast (one flat Adam update, matmul-shaped conv gradients, one NCE matmul) or baseline (the first, straightforward step; same maths, about twice the GPU dispatches).'),
  logEvery: int(1, 1000, 'Read metrics back every this many steps.'),
  probeSize: int(16, 10_000, 'Held-out images in the probe set (embedding, kNN).'),
  embedEvery: int(1, 100_000, 'Encode the probe set every this many steps.'),
  evalPace: oneOf(['auto', 'every'], 'Evaluating pauses training. auto: the first evaluation while training comes after 90 s of training or 10 intervals (whichever is first), later ones take at most a quarter of the time; every: at every interval, however long it takes.'),
  checkpointSec: int(5, 86_400, 'Save a checkpoint every this many seconds of training.'),
});

export const CONFIG_KEYS = Object.keys(SCHEMA) as (keyof Config)[];

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function checkValue(key: keyof Config, value: unknown): void {
  const spec = SCHEMA[key];
  switch (spec.kind) {
    case 'int':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new ConfigError(key, `config.${key}: expected a finite number, got ${describe(value)}`);
      if (spec.kind === 'int' && !Number.isInteger(value))
        throw new ConfigError(key, `config.${key}: expected an integer, got ${value}`);
      if (value < spec.min || value > spec.max)
        throw new ConfigError(key, `config.${key}: ${value} is out of range [${spec.min}, ${spec.max}]`);
      return;
    case 'enum':
      if (!spec.options.includes(value as string | number))
        throw new ConfigError(key, `config.${key}: expected one of ${spec.options.join(', ')}, got ${describe(value)}`);
      return;
    case 'string':
      if (typeof value !== 'string' || !spec.pattern.test(value))
        throw new ConfigError(key, `config.${key}: expected a name of letters, digits, - or _, got ${describe(value)}`);
      return;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * Merge overrides over DEFAULTS (and a preset, if named) and check everything.
 * Throws ConfigError naming the first bad key.
 */
export function validate(overrides: unknown = {}, preset?: PresetName): Config {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
    throw new ConfigError('', `config: expected an object of settings, got ${describe(overrides)}`);
  const out: Record<string, unknown> = { ...DEFAULTS, ...(preset ? PRESETS[preset] : {}) };
  for (const key of Object.keys(overrides)) {
    // Own-property check on SCHEMA: '__proto__', 'constructor' and friends are unknown keys.
    if (!Object.prototype.hasOwnProperty.call(SCHEMA, key))
      throw new ConfigError(key, `config: unknown key "${key.slice(0, 40)}"`);
    out[key] = (overrides as Record<string, unknown>)[key];
  }
  for (const key of CONFIG_KEYS) checkValue(key, out[key]);
  const c = out as unknown as Config;
  if (c.cropScaleMin > c.cropScaleMax)
    throw new ConfigError('cropScaleMin', `config.cropScaleMin (${c.cropScaleMin}) must not exceed cropScaleMax (${c.cropScaleMax})`);
  if (c.cropAspectMin > c.cropAspectMax)
    throw new ConfigError('cropAspectMin', `config.cropAspectMin (${c.cropAspectMin}) must not exceed cropAspectMax (${c.cropAspectMax})`);
  if (c.probeSize > c.testCount && c.dataset === 'embedded')
    throw new ConfigError('probeSize', `config.probeSize (${c.probeSize}) exceeds the held-out split (testCount ${c.testCount})`);
  return c;
}

export function preset(name: PresetName, overrides: Partial<Config> = {}): Config {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) throw new ConfigError('preset', `config: unknown preset "${name}"`);
  return validate(overrides, name);
}

/** Keys whose values differ between two configs, in schema order. */
export function diffKeys(a: Config, b: Config): (keyof Config)[] {
  return CONFIG_KEYS.filter((k) => a[k] !== b[k]);
}

/** URL hash: only the keys that differ from DEFAULTS, as `key=value&…`. */
export function encodeHash(c: Config): string {
  const params = new URLSearchParams();
  for (const k of diffKeys(DEFAULTS as Config, c)) params.set(k, String(c[k]));
  return params.toString();
}

/** Parse a URL hash back into a validated config. `preset=name` applies a preset before the other keys. */
export function decodeHash(hash: string): Config {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const raw: Record<string, unknown> = {};
  let presetName: PresetName | undefined;
  for (const [key, text] of params) {
    if (key === 'preset') {
      if (!Object.prototype.hasOwnProperty.call(PRESETS, text)) throw new ConfigError('preset', `config: unknown preset "${text.slice(0, 40)}"`);
      presetName = text as PresetName;
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(SCHEMA, key)) throw new ConfigError(key, `config: unknown key "${key.slice(0, 40)}"`);
    if (isNumericKey(key as keyof Config)) {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) throw new ConfigError(key, `config.${key}: expected a number, got ${JSON.stringify(text.slice(0, 40))}`);
      raw[key] = n;
    } else raw[key] = text;
  }
  return validate(raw, presetName);
}

/** Keys whose text form (URL hash, command line) must be parsed as a number. */
export function isNumericKey(key: keyof Config): boolean {
  const spec = SCHEMA[key];
  return spec.kind === 'int' || spec.kind === 'number' || (spec.kind === 'enum' && typeof spec.options[0] === 'number');
}

export function helpFor(key: keyof Config): string {
  return SCHEMA[key].help;
}
