/**
 * Read a TensorFlow.js model file set (model.json + .bin weight files) back into named encoder weights,
 * refusing anything that is not one or does not fit the run with a message naming the first mismatch.
 * No tfjs import: the page checks files here before anything is sent to the training worker.
 */
import { weightShapes, type EncoderOptions } from './plan';

export type NamedWeights = Record<string, { shape: number[]; data: Float32Array }>;

export class ModelImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelImportError';
  }
}

export interface InputFile {
  name: string;
  bytes: ArrayBuffer;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, bool: 1 };

const fail = (message: string): never => {
  throw new ModelImportError(message);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const fmt = (shape: number[]): string => `[${shape.join(',')}]`;

function describeOpts(o: Partial<EncoderOptions>): string {
  return `ndf ${o.ndf}, nRkhs ${o.nRkhs}, nDepth ${o.nDepth}, ${o.imageSize} px, BatchNorm in the body ${o.useBn ? 'on' : 'off'}`;
}

/** Checks named weights against the encoder `opts` expects; throws naming the first missing or misshapen tensor. */
export function checkWeights(weights: NamedWeights, opts: EncoderOptions, hint = ''): void {
  const expected = weightShapes(opts);
  for (const [name, shape] of expected) {
    const got = Object.prototype.hasOwnProperty.call(weights, name) ? weights[name] : undefined;
    if (!got) fail(`missing tensor ${name}${hint}`);
    else {
      if (got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i]))
        fail(`${name}: expected ${fmt(shape)}, got ${fmt(got.shape)}${hint}`);
      if (!(got.data instanceof Float32Array) || got.data.length !== shape.reduce((a, b) => a * b, 1))
        fail(`${name}: expected ${shape.reduce((a, b) => a * b, 1)} float32 values`);
      for (let i = 0; i < got.data.length; i++) if (!Number.isFinite(got.data[i])) fail(`${name}: contains NaN or infinite values`);
    }
  }
  const known = new Set(expected.map(([n]) => n));
  for (const name of Object.keys(weights)) if (!known.has(name)) fail(`unexpected tensor ${name}${hint}`);
}

/** Parses model.json text; throws unless it is a TF.js graph model with a weights manifest. */
export function parseModelJson(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`model.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(json)) return fail('not a TensorFlow.js model: model.json must hold a JSON object');
  if (!isObject(json.modelTopology) || !Array.isArray(json.weightsManifest))
    fail('not a TensorFlow.js model: model.json needs "modelTopology" and "weightsManifest"');
  if (json.format === 'layers-model' || 'model_config' in (json.modelTopology as object) || 'class_name' in (json.modelTopology as object))
    fail('not an InfoMax Lab encoder: this is a Keras layers model; import the graph model that "Download model" writes');
  if (!Array.isArray((json.modelTopology as Record<string, unknown>).node)) fail('not a TensorFlow.js graph model: modelTopology has no "node" list');
  return json;
}

interface Spec {
  name: string;
  shape: number[];
  dtype: string;
}

function readSpec(raw: unknown, where: string): Spec {
  if (!isObject(raw) || typeof raw.name !== 'string' || !Array.isArray(raw.shape) || !raw.shape.every((d) => Number.isInteger(d) && d >= 0))
    return fail(`${where}: each weight needs a "name" and a "shape" of non-negative integers`);
  if (raw.quantization != null) fail(`${raw.name}: quantized weights are not supported; export without quantization`);
  const dtype = raw.dtype === undefined ? 'float32' : String(raw.dtype);
  if (!(dtype in BYTES)) fail(`${raw.name}: unsupported dtype ${dtype.slice(0, 20)}`);
  return { name: raw.name, shape: raw.shape as number[], dtype };
}

/** Finds the weight file a manifest path names; a single .bin stands in for a single path (browsers rename re-downloads). */
function findBin(path: string, bins: InputFile[], singlePath: boolean): InputFile {
  const base = path.split('/').pop() ?? path;
  const hit = bins.find((b) => b.name === base || b.name === path);
  if (hit) return hit;
  if (singlePath && bins.length === 1) return bins[0];
  return fail(`model.json lists the weight file "${base}", which was not selected (select model.json and its .bin files together)`);
}

/**
 * model.json text + weight files in → the float32 weights by name (int32 graph constants are skipped).
 * Checks only the file itself; `parseModelFiles` also checks the weights fit an encoder.
 */
export function readWeights(json: Record<string, unknown>, bins: InputFile[]): NamedWeights {
  const groups = json.weightsManifest as unknown[];
  const allPaths = groups.flatMap((g) => (isObject(g) && Array.isArray(g.paths) ? g.paths : []));
  const out: NamedWeights = {};
  groups.forEach((group, gi) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || !group.paths.every((p) => typeof p === 'string'))
      fail(`weightsManifest[${gi}] needs "paths" and "weights" lists`);
    const g = group as { paths: string[]; weights: unknown[] };
    const parts = g.paths.map((p) => new Uint8Array(findBin(p, bins, allPaths.length === 1).bytes));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(total);
    parts.reduce((off, p) => (buf.set(p, off), off + p.length), 0);
    const specs = g.weights.map((w, i) => readSpec(w, `weightsManifest[${gi}].weights[${i}]`));
    const need = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * BYTES[s.dtype], 0);
    if (need !== total) fail(`the weight files hold ${total} bytes, but model.json describes ${need} (truncated or mismatched .bin file)`);
    let off = 0;
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const bytes = n * BYTES[s.dtype];
      // graph/… are the export's own constants (input statistics, shapes), not encoder weights
      if (!s.name.startsWith('graph/'))
        out[s.name] = {
          shape: s.shape,
          // other dtypes keep an empty array, which checkWeights refuses by name
          data: s.dtype === 'float32' ? new Float32Array(buf.slice(off, off + bytes).buffer) : new Float32Array(0),
        };
      off += bytes;
    }
  });
  return out;
}

/** The encoder options recorded in an InfoMax Lab export, if present and well-formed. */
export function exportedOptions(json: Record<string, unknown>): Partial<EncoderOptions> | null {
  const meta = json.userDefinedMetadata;
  const lab = isObject(meta) && isObject(meta.infomaxLab) ? meta.infomaxLab : null;
  return lab && isObject(lab.encoder) ? (lab.encoder as Partial<EncoderOptions>) : null;
}

/** The metadata version of an InfoMax Lab export (1: the encoder before the official layout), or null. */
function exportedVersion(json: Record<string, unknown>): number | null {
  const meta = json.userDefinedMetadata;
  const lab = isObject(meta) && isObject(meta.infomaxLab) ? meta.infomaxLab : null;
  return lab && typeof lab.version === 'number' ? lab.version : null;
}

/**
 * The selected files (one model.json and its .bin weight files) → weights for an encoder with options
 * `expected`. Throws ModelImportError naming the first problem.
 */
export function parseModelFiles(files: InputFile[], expected: EncoderOptions): NamedWeights {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length === 0) fail('no model.json selected: select the model.json file and its .bin weight files');
  if (jsons.length > 1) fail(`select one model.json at a time (got ${jsons.length} .json files)`);
  const json = parseModelJson(new TextDecoder().decode(jsons[0].bytes));
  const weights = readWeights(json, files.filter((f) => f !== jsons[0]));
  const from = exportedOptions(json);
  const differs =
    from && ((['ndf', 'nRkhs', 'nDepth', 'imageSize'] as const).some((k) => from[k] !== expected[k]) || (from.useBn ?? false) !== (expected.useBn ?? false));
  let hint = differs ? ` (the file was exported for ${describeOpts(from)}; this run uses ${describeOpts(expected)})` : '';
  if (exportedVersion(json) === 1)
    hint += ' (the file comes from an earlier InfoMax Lab whose encoder had conv biases and no head-shortcut bias; it cannot be loaded into the official AMDIM layout)';
  checkWeights(weights, expected, hint);
  return weights;
}
