/**
 * A training run as plain data, and its two outside forms: the store's record (metric rows, embedding
 * blob) and a portable JSON file (embedding as base64 little-endian float32). Importing checks every field
 * and says which one is wrong, because the file may come from anywhere.
 */
import { validate, type Config } from '../config';
import type { RunMeta, RunRecord } from '../data/store';
import { EVAL_KEYS, METRIC_KEYS, type EmbeddingSnapshot } from '../train/types';
import { migrateColumns, migrateEval, migrateMetric } from '../train/migrate';

export { EVAL_KEYS, METRIC_KEYS };
export type MetricKey = (typeof METRIC_KEYS)[number];
export type EvalKey = (typeof EVAL_KEYS)[number];

/** Columns: one step array and one value array per key, all the same length. */
export interface Series<K extends string> {
  step: number[];
  cols: Record<K, number[]>;
}

/** A saved run's last embedding: the snapshot without the held-out indices. */
export type RunEmbedding = Omit<EmbeddingSnapshot, 'indices'>;

export interface RunData {
  id: string;
  name: string;
  createdAt: number;
  config: Config;
  datasetId: string;
  datasetName: string;
  classNames: string[];
  /** Backend that actually ran (webgpu, webgl, cpu), not the requested one. */
  backend: string;
  step: number;
  metrics: Series<MetricKey>;
  evals: Series<EvalKey>;
  embedding: RunEmbedding | null;
}

export const FORMAT = 'infomax-lab-run';
/** 2: NCE estimate and image-level bound per pair, three-way evaluation (issue 13). Version 1 files are migrated (train/migrate.ts). */
export const FORMAT_VERSION = 2;

export function emptySeries<K extends string>(keys: readonly K[]): Series<K> {
  return { step: [], cols: Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]> };
}

// ------------------------------------------------------------------ store record

interface InfoRow { kind: 'info'; datasetName: string; classNames: string[]; step: number; embedding: { step: number; n: number; dim: number; labels: number[] | null } | null }
type MetricRow = { kind: 'metric'; step: number } & Record<MetricKey, number>;
type EvalRow = { kind: 'eval'; step: number } & Record<EvalKey, number>;

function rows<K extends string>(kind: string, s: Series<K>, keys: readonly K[]): object[] {
  return s.step.map((step, i) => {
    const r: Record<string, unknown> = { kind, step };
    for (const k of keys) r[k] = s.cols[k][i];
    return r;
  });
}

/** The store keeps metrics as rows; the first row carries what RunMeta has no field for. */
export function toRecord(run: RunData): RunRecord {
  const e = run.embedding;
  const info: InfoRow = {
    kind: 'info', datasetName: run.datasetName, classNames: run.classNames, step: run.step,
    embedding: e ? { step: e.step, n: e.n, dim: e.dim, labels: e.labels ? Array.from(e.labels) : null } : null,
  };
  const rec: RunRecord = {
    id: run.id, name: run.name, createdAt: run.createdAt, config: run.config, datasetId: run.datasetId, backend: run.backend,
    metrics: [info, ...rows('metric', run.metrics, METRIC_KEYS), ...rows('eval', run.evals, EVAL_KEYS)],
  };
  if (e) rec.embedding = e.features;
  return rec;
}

export function fromRecord(rec: RunRecord): RunData {
  const info = (rec.metrics.find((r) => (r as { kind?: string }).kind === 'info') ?? null) as InfoRow | null;
  const metrics = emptySeries(METRIC_KEYS);
  const evals = emptySeries(EVAL_KEYS);
  for (const r of rec.metrics as (MetricRow | EvalRow | InfoRow)[]) {
    if (r.kind === 'metric') {
      const m = migrateMetric(r as unknown as Record<string, unknown>);
      metrics.step.push(r.step);
      for (const k of METRIC_KEYS) metrics.cols[k].push(m[k]);
    } else if (r.kind === 'eval') {
      const e = migrateEval(r as unknown as Record<string, unknown>);
      evals.step.push(r.step);
      for (const k of EVAL_KEYS) evals.cols[k].push(e[k]);
    }
  }
  const em = info?.embedding;
  return {
    id: rec.id, name: rec.name, createdAt: rec.createdAt, config: validate(rec.config), datasetId: rec.datasetId,
    datasetName: info?.datasetName ?? rec.datasetId, classNames: info?.classNames ?? [], backend: rec.backend,
    step: info?.step ?? metrics.step[metrics.step.length - 1] ?? 0, metrics, evals,
    embedding: em && rec.embedding ? { step: em.step, n: em.n, dim: em.dim, features: rec.embedding, labels: em.labels ? Int32Array.from(em.labels) : null } : null,
  };
}

/** The list entry for a stored run, with its config checked (a run saved by an older version may not pass). */
export function describeMeta(m: RunMeta): { config: Config | null; problem: string | null } {
  try {
    return { config: validate(m.config), problem: null };
  } catch (e) {
    return { config: null, problem: (e as Error).message };
  }
}

// ------------------------------------------------------------------ JSON file

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Float32 little-endian regardless of the machine, so files move between machines. */
function floatsToBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i], true);
  return toBase64(bytes);
}

function floatsFromBase64(text: string, count: number, where: string): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    throw new Error(`${where}: not valid base64`);
  }
  if (bytes.length !== count * 4) throw new Error(`${where}: holds ${bytes.length / 4} floats, expected ${count}`);
  const v = new DataView(bytes.buffer);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = v.getFloat32(i * 4, true);
  return out;
}

/** NaN and ±Infinity are not JSON: they travel as null and come back as NaN. */
const num = (v: number) => (Number.isFinite(v) ? v : null);

export function runToJson(run: RunData): string {
  const e = run.embedding;
  const cols = <K extends string>(s: Series<K>) => Object.fromEntries(Object.entries(s.cols).map(([k, v]) => [k, (v as number[]).map(num)]));
  return JSON.stringify({
    format: FORMAT, version: FORMAT_VERSION,
    id: run.id, name: run.name, createdAt: run.createdAt, config: run.config, datasetId: run.datasetId, datasetName: run.datasetName,
    classNames: run.classNames, backend: run.backend, step: run.step,
    metrics: { step: run.metrics.step, cols: cols(run.metrics) },
    evals: { step: run.evals.step, cols: cols(run.evals) },
    embedding: e ? { step: e.step, n: e.n, dim: e.dim, features: floatsToBase64(e.features), labels: e.labels ? Array.from(e.labels) : null } : null,
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(o: Obj, key: string, where: string, check: (v: unknown) => v is T, want: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`${where}.${key}: expected ${want}`);
  return v;
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function readSeries<K extends string>(v: unknown, keys: readonly K[], where: string, kind: 'metrics' | 'evals'): Series<K> {
  if (!isObj(v)) throw new Error(`${where}: expected an object with step and cols`);
  const step = field(v, 'step', where, (x): x is number[] => Array.isArray(x) && x.every(isCount), 'an array of step numbers');
  const cols = migrateColumns(field(v, 'cols', where, isObj, 'an object of columns'), kind, step.length);
  const out = emptySeries(keys);
  out.step = step;
  for (const k of keys) {
    const c = cols[k];
    // A column added after the run was saved (e.g. probeMlpAcc): not measured then, so NaN.
    if (c === undefined) {
      out.cols[k] = step.map(() => NaN);
      continue;
    }
    if (!Array.isArray(c) || !c.every((x) => x === null || typeof x === 'number'))
      throw new Error(`${where}.cols.${k}: expected an array of numbers`);
    if (c.length !== step.length) throw new Error(`${where}.cols.${k}: has ${c.length} values for ${step.length} steps`);
    out.cols[k] = c.map((x) => (x === null ? NaN : x));
  }
  return out;
}

/** Parse and check an exported run. Throws an Error naming the first bad field. */
export function runFromJson(text: string): RunData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`Not a run file: the JSON does not parse (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new Error('Not a run file: expected a JSON object');
  if (raw.format !== FORMAT) throw new Error(`Not a run file: "format" should be "${FORMAT}"`);
  if (raw.version !== FORMAT_VERSION && raw.version !== 1)
    throw new Error(`Run file version ${String(raw.version)} is not supported (this app reads versions 1 and ${FORMAT_VERSION})`);
  const w = 'run';
  let config: Config;
  try {
    config = validate(raw.config);
  } catch (e) {
    throw new Error(`run.config: ${(e as Error).message}`);
  }
  const id = field(raw, 'id', w, (v): v is string => isStr(v) && /^[A-Za-z0-9_-]{1,64}$/.test(v), 'an id of 1-64 letters, digits, - or _');
  const classNames = field(raw, 'classNames', w, (v): v is string[] => Array.isArray(v) && v.every(isStr), 'an array of class names');
  let embedding: RunEmbedding | null = null;
  if (raw.embedding !== null && raw.embedding !== undefined) {
    const ew = 'run.embedding';
    if (!isObj(raw.embedding)) throw new Error(`${ew}: expected an object or null`);
    const e = raw.embedding;
    const n = field(e, 'n', ew, isCount, 'a count');
    const dim = field(e, 'dim', ew, isCount, 'a count');
    const labels = e.labels === null ? null : field(e, 'labels', ew, (v): v is number[] => Array.isArray(v) && v.length === n && v.every(Number.isInteger), `an array of ${n} integer labels or null`);
    embedding = {
      step: field(e, 'step', ew, isCount, 'a step number'), n, dim,
      features: floatsFromBase64(field(e, 'features', ew, isStr, 'a base64 string'), n * dim, `${ew}.features`),
      labels: labels ? Int32Array.from(labels) : null,
    };
  }
  return {
    id, name: field(raw, 'name', w, isStr, 'a string').slice(0, 200), createdAt: field(raw, 'createdAt', w, isNum, 'a time in ms'),
    config, datasetId: config.dataset, datasetName: field(raw, 'datasetName', w, isStr, 'a string'), classNames,
    backend: field(raw, 'backend', w, isStr, 'a string'), step: field(raw, 'step', w, isCount, 'a step number'),
    metrics: readSeries(raw.metrics, METRIC_KEYS, 'run.metrics', 'metrics'), evals: readSeries(raw.evals, EVAL_KEYS, 'run.evals', 'evals'), embedding,
  };
}
