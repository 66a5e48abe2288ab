/**
 * The safetensors file format (huggingface/safetensors, the format the PyTorch world reads), read and
 * written by hand: there is no maintained npm package for it, and the format is small enough to check.
 *
 *   8 bytes   N, the header length, unsigned little-endian 64-bit
 *   N bytes   a UTF-8 JSON object: name → {dtype, shape, data_offsets: [begin, end]} and an optional
 *             "__metadata__" object of string → string; begins with '{', may end in spaces (0x20)
 *   rest      the byte buffer, tensors little-endian and row-major; offsets are relative to its start
 *
 * Rules the reader enforces (those of the reference implementation): the header fits in the file and in
 * 100 MB, each tensor's byte range matches its dtype and shape, the ranges tile the buffer with no hole
 * and no overlap, and metadata values are strings. The writer pads the header with spaces so the buffer
 * starts on an 8-byte boundary, as the reference writer does, and writes tensors in the order given.
 * No tfjs import: the page checks files with this before anything is sent to a worker.
 */

export type Dtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
});

export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array | BigUint64Array;

export interface StTensor {
  dtype: Dtype;
  shape: number[];
  /** Element values; F16 and BF16 come as their raw 16-bit patterns (toFloat32 converts them). */
  data: TensorData;
}

export interface StFile {
  tensors: Record<string, StTensor>;
  /** Names in file order (byte order of the buffer). */
  order: string[];
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER = 100_000_000;
const fail = (m: string): never => {
  throw new SafetensorsError(`safetensors: ${m}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A typed array of the right kind over a copy of `bytes` (a copy, so alignment never matters). */
function view(dtype: Dtype, bytes: Uint8Array): TensorData {
  const b = bytes.slice().buffer;
  switch (dtype) {
    case 'BOOL': case 'U8': return new Uint8Array(b);
    case 'I8': return new Int8Array(b);
    case 'I16': return new Int16Array(b);
    case 'U16': case 'F16': case 'BF16': return new Uint16Array(b);
    case 'I32': return new Int32Array(b);
    case 'U32': return new Uint32Array(b);
    case 'F32': return new Float32Array(b);
    case 'F64': return new Float64Array(b);
    case 'I64': return new BigInt64Array(b);
    case 'U64': return new BigUint64Array(b);
  }
}

/** These typed arrays are little-endian only on little-endian hosts (every browser platform in use). */
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function readSafetensors(input: ArrayBuffer | Uint8Array): StFile {
  if (!LITTLE) fail('this reader needs a little-endian machine');
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) fail(`file too short (${bytes.length} bytes): needs an 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} exceeds the 100 MB limit`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  const text = new TextDecoder('utf-8', { fatal: true });
  let header: unknown;
  try {
    const s = text.decode(bytes.subarray(8, 8 + n));
    if (!s.startsWith('{')) fail('header must start with "{"');
    header = JSON.parse(s);
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header)) return fail('header must be a JSON object');
  const buffer = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(raw)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (!isObject(raw)) fail(`${name}: entry must be an object`);
    const { dtype, shape, data_offsets: off } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${name}: shape must be a list of non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0])
      fail(`${name}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    const [begin, end] = off as [number, number];
    const need = count(shape as number[]) * DTYPE_BYTES[dtype as Dtype];
    if (end - begin !== need) fail(`${name}: data_offsets span ${end - begin} bytes, dtype ${dtype} and shape [${(shape as number[]).join(',')}] need ${need}`);
    entries.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }
  // The ranges must tile the buffer: sorted by begin, each starts where the previous ended, the last ends at its end.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) fail(e.begin > at ? `hole in the byte buffer before ${e.name} (bytes ${at}–${e.begin})` : `${e.name} overlaps the tensor before it`);
    at = e.end;
  }
  if (at !== buffer.length) fail(`the tensors cover ${at} bytes but the buffer holds ${buffer.length}`);
  const tensors: Record<string, StTensor> = {};
  for (const e of entries) tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: view(e.dtype, buffer.subarray(e.begin, e.end)) };
  return { tensors, order: entries.map((e) => e.name), metadata };
}

/** The dtype a typed array is written as (Uint16Array needs an explicit F16/BF16/U16). */
function dtypeOf(t: StTensor | { shape: number[]; data: TensorData; dtype?: Dtype }): Dtype {
  if (t.dtype) return t.dtype;
  const d = t.data;
  if (d instanceof Float32Array) return 'F32';
  if (d instanceof Float64Array) return 'F64';
  if (d instanceof Int32Array) return 'I32';
  if (d instanceof Uint32Array) return 'U32';
  if (d instanceof Int16Array) return 'I16';
  if (d instanceof Uint16Array) return 'U16';
  if (d instanceof Int8Array) return 'I8';
  if (d instanceof Uint8Array) return 'U8';
  if (d instanceof BigInt64Array) return 'I64';
  return 'U64';
}

export type WriteTensors = Record<string, { shape: number[]; data: TensorData; dtype?: Dtype }>;

export function writeSafetensors(tensors: WriteTensors, metadata: Record<string, string> = {}): Uint8Array {
  if (!LITTLE) fail('this writer needs a little-endian machine');
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata ${k} must be a string`);
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') fail('"__metadata__" cannot name a tensor');
    const dtype = dtypeOf(t);
    const bytes = DTYPE_BYTES[dtype];
    if (t.data.BYTES_PER_ELEMENT !== bytes) fail(`${name}: a ${t.data.constructor.name} cannot hold ${dtype}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${name}: shape must be non-negative integers`);
    if (count(t.shape) !== t.data.length) fail(`${name}: shape [${t.shape.join(',')}] needs ${count(t.shape)} values, got ${t.data.length}`);
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + b.length] };
    parts.push(b);
    offset += b.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8; // the buffer then starts 8-aligned (8 + N ≡ 0 mod 8)
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** float32 values of a floating tensor (F16 and BF16 decoded; F64 rounded). */
export function toFloat32(t: StTensor): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'F64') return Float32Array.from(t.data as Float64Array);
  const raw = t.data as Uint16Array;
  if (t.dtype === 'BF16') {
    const u = new Uint32Array(raw.length);
    for (let i = 0; i < raw.length; i++) u[i] = raw[i] << 16;
    return new Float32Array(u.buffer);
  }
  if (t.dtype === 'F16') return Float32Array.from(raw, halfToFloat);
  return fail(`dtype ${t.dtype} is not a floating type`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
