/**
 * The only module that touches IndexedDB (through idb-keyval). One object store, string keys by prefix:
 *   ds:<id>:m            dataset manifest, written LAST: a dataset without one is an unfinished import
 *   ds:<id>:c:<split>:<k> chunk k of a split: { pixels: Uint8Array, labels: Int32Array | null }
 *   ds:<id>:t            thumbnails (a few images at the dataset size)
 *   ds:<id>:live         time of the last chunk written by an import in progress (liveness mark)
 *   ds:<id>:tags         the user's tags on held-out photos ([held-out index, class name] pairs)
 *   run:<id>:m / run:<id>:x:<k> / run:<id>:e   run meta (last), metric chunks, embedding
 *   ck:<runId>:p -> ck:<runId>:b:<nonce>        checkpoint pointer and blob (swapped atomically)
 *   set:<name>           small app settings
 * Chunks keep images compact (one key per few hundred images, not one per image) and let the trainer
 * stream a dataset without holding it all at once.
 */
import { createStore, del, delMany, get, getMany, promisifyRequest, set, setMany, type UseStore } from 'idb-keyval';
import type { Dataset, ImageSet } from './dataset';
import { imageBytes } from './dataset';
import { RESIDENT_TEST, RESIDENT_TRAIN, STREAM_WINDOW, residentSample, shouldStream } from './stream';
import { rngFor, type Rng } from '../rng';

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Images per stored chunk: 256 × 64 px × 3 = 3 MiB, small enough for one IndexedDB put. */
export const CHUNK_IMAGES = 256;
const METRICS_PER_CHUNK = 1000;

export type Split = 'train' | 'test';
export type DatasetSource = 'folder' | 'cifar10' | 'stl10';

export interface SkippedFile {
  name: string;
  reason: string;
}

export interface DatasetManifest {
  version: 1;
  id: string;
  name: string;
  source: DatasetSource;
  /** Side in pixels. */
  size: number;
  train: number;
  test: number;
  /** Empty for an unlabeled dataset. */
  classNames: string[];
  /** Images per class over both splits (same order as classNames). */
  classCounts: number[];
  createdAt: number;
  skipped: SkippedFile[];
  /** Stored bytes (pixels, labels, thumbnails). */
  bytes: number;
  chunkImages: number;
  thumbCount: number;
}

export interface StoredChunk {
  pixels: Uint8Array;
  labels: Int32Array | null;
}

/** A storage error the UI can show as is. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly quota: boolean,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

let db: UseStore | null = null;
/** Point the module at a named database (tests use a fresh one each). */
export function useDatabase(name = 'infomax-lab'): void {
  db = createStore(name, 'kv');
}
function kv(): UseStore {
  if (!db) useDatabase();
  return db!;
}

export function isQuotaError(e: unknown): boolean {
  const err = e as { name?: string; message?: string; inner?: { name?: string } } | null;
  return !!err && (err.name === 'QuotaExceededError' || /quota/i.test(err.message ?? '') || err.inner?.name === 'QuotaExceededError');
}

/** Run a write; turn a full disk into a StorageError with a message that says what to do. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isQuotaError(e)) {
      throw new StorageError(`Browser storage is full while saving ${what}. Delete a dataset or run to free space; earlier data is intact.`, true);
    }
    throw new StorageError(`Could not save ${what}: ${(e as Error)?.message ?? String(e)}`, false);
  }
}

async function keysWithPrefix(prefix: string): Promise<string[]> {
  const range = IDBKeyRange.bound(prefix, prefix + '\uffff');
  return kv()('readonly', (s) => promisifyRequest(s.getAllKeys(range))) as Promise<string[]>;
}

function checkId(id: string, what = 'id'): void {
  if (!ID_PATTERN.test(id)) throw new Error(`Invalid ${what} "${id}": use 1-64 letters, digits, '_' or '-'.`);
}

/** A fresh id: time plus randomness, so two tabs importing at once never collide. */
export function newId(prefix: string): string {
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(36).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${rand}`.slice(0, 64);
}

// ---------------------------------------------------------------- two tabs

/**
 * An import in progress holds the Web Lock `infomax-import:<id>` (navigator.locks, shared by every tab and
 * worker of the origin and released by the browser when a tab closes or crashes) for as long as it writes.
 * Where Web Locks are missing, a liveness mark (`ds:<id>:live`, the time of the last chunk) stands in: an
 * unfinished import whose mark is younger than LIVE_MS is left alone.
 */
export const IMPORT_LOCK_PREFIX = 'infomax-import:';
export const LIVE_MS = 2 * 60_000;

interface LockLike {
  request(name: string, cb: () => Promise<void>): Promise<void>;
  query(): Promise<{ held?: { name?: string }[]; pending?: { name?: string }[] }>;
}
function lockManager(): LockLike | null {
  return ((globalThis as { navigator?: { locks?: LockLike } }).navigator?.locks as LockLike | undefined) ?? null;
}

/** Hold the import lock for `id` until release(); `ready` settles once it is held (at once without Web Locks). */
function holdImportLock(id: string): { ready: Promise<void>; release: () => void } {
  const lm = lockManager();
  if (!lm) return { ready: Promise.resolve(), release: () => {} };
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let ready = () => {};
  const readyP = new Promise<void>((r) => (ready = r));
  lm.request(IMPORT_LOCK_PREFIX + id, () => {
    ready();
    return held;
  }).catch(() => ready()); // no lock (an old browser, a sandbox): the liveness mark still protects
  return { ready: readyP, release };
}

// ---------------------------------------------------------------- datasets

const chunkKey = (id: string, split: Split, k: number) => `ds:${id}:c:${split}:${k}`;

export interface DatasetHeader {
  id: string;
  name: string;
  source: DatasetSource;
  size: number;
  classNames: string[];
}

/**
 * Streams images into fixed-size chunks. Nothing is visible to listDatasets() until finish() writes the
 * manifest; abort() (or a failed write) removes every chunk written so far.
 */
export class DatasetWriter {
  readonly #h: DatasetHeader;
  readonly #per: number;
  readonly #buf: Record<Split, { pixels: Uint8Array; labels: Int32Array; n: number; chunks: number; total: number }>;
  readonly #counts: number[];
  readonly #thumbs: Uint8Array[] = [];
  #bytes = 0;
  #labeled: boolean;
  #closed = false;
  /** The chunk write in flight (at most one), settled to its error or null so it never rejects unseen. */
  #pending: Promise<unknown> | null = null;
  readonly #lock: { ready: Promise<void>; release: () => void };

  constructor(header: DatasetHeader, readonly thumbLimit = 8) {
    checkId(header.id, 'dataset id');
    if (!Number.isInteger(header.size) || header.size < 4 || header.size > 256) throw new Error(`Unsupported image size ${header.size}`);
    this.#h = { ...header, classNames: [...header.classNames] };
    this.#per = imageBytes(header.size);
    this.#labeled = header.classNames.length > 0;
    this.#counts = header.classNames.map(() => 0);
    const mk = () => ({ pixels: new Uint8Array(CHUNK_IMAGES * this.#per), labels: new Int32Array(CHUNK_IMAGES), n: 0, chunks: 0, total: 0 });
    this.#buf = { train: mk(), test: mk() };
    this.#lock = holdImportLock(header.id);
  }

  get count(): number {
    return this.#buf.train.total + this.#buf.test.total;
  }

  /** Class names may grow during an archive import (batches.meta.txt can come last). */
  setClassNames(names: string[]): void {
    this.#h.classNames = [...names];
    this.#labeled = names.length > 0;
    while (this.#counts.length < names.length) this.#counts.push(0);
  }

  /** Append one image (size×size×3 bytes) with its class (-1 unknown). */
  async add(split: Split, pixels: Uint8Array, label: number): Promise<void> {
    if (this.#closed) throw new Error('DatasetWriter: already finished or aborted');
    if (pixels.length !== this.#per) throw new Error(`DatasetWriter: image has ${pixels.length} bytes, expected ${this.#per}`);
    const b = this.#buf[split];
    b.pixels.set(pixels, b.n * this.#per);
    b.labels[b.n] = label;
    b.n++;
    b.total++;
    if (label >= 0) {
      while (this.#counts.length <= label) this.#counts.push(0);
      this.#counts[label]++;
    }
    this.#maybeThumb(pixels, label);
    if (b.n === CHUNK_IMAGES) await this.#flush(split);
  }

  readonly #thumbPerLabel = new Map<number, number>();
  /** Spread thumbnails over classes, so a card shows the variety of the dataset. */
  #maybeThumb(pixels: Uint8Array, label: number): void {
    if (this.#thumbs.length >= this.thumbLimit) return;
    const quota = Math.ceil(this.thumbLimit / Math.max(1, this.#h.classNames.length));
    const have = this.#thumbPerLabel.get(label) ?? 0;
    if (label >= 0 && have >= quota) return;
    this.#thumbPerLabel.set(label, have + 1);
    this.#thumbs.push(pixels.slice());
  }

  /**
   * Hand a full chunk to IndexedDB and return without waiting for it (write-behind), so decoding goes on
   * while it is written; the next flush first waits for this one. Memory: the fill buffers plus one chunk
   * copy in flight per writer, whatever the dataset size.
   */
  async #flush(split: Split): Promise<void> {
    const b = this.#buf[split];
    if (b.n === 0) return;
    const chunk: StoredChunk = { pixels: b.pixels.slice(0, b.n * this.#per), labels: this.#labeled ? b.labels.slice(0, b.n) : null };
    const key = chunkKey(this.#h.id, split, b.chunks);
    b.chunks++;
    b.n = 0;
    await this.#settle();
    this.#pending = (async () => {
      await this.#lock.ready; // nothing is written unless another tab can see that this import is alive
      await guard(`dataset "${this.#h.name}"`, () => setMany([[key, chunk], [`ds:${this.#h.id}:live`, Date.now()]], kv()));
      this.#bytes += chunk.pixels.byteLength + (chunk.labels?.byteLength ?? 0);
    })().then(() => null, (e: unknown) => e ?? new Error('chunk write failed'));
  }

  /** Wait for the write in flight; if it failed, remove the partial dataset and throw its error. */
  async #settle(): Promise<void> {
    const p = this.#pending;
    this.#pending = null;
    const err = p ? await p : null;
    if (err) {
      await this.abort();
      throw err;
    }
  }

  async finish(skipped: SkippedFile[]): Promise<DatasetManifest> {
    await this.#flush('train');
    await this.#flush('test');
    await this.#settle();
    this.#closed = true;
    const thumbs = new Uint8Array(this.#thumbs.length * this.#per);
    this.#thumbs.forEach((t, i) => thumbs.set(t, i * this.#per));
    const m: DatasetManifest = {
      version: 1,
      ...this.#h,
      train: this.#buf.train.total,
      test: this.#buf.test.total,
      classCounts: this.#labeled ? this.#counts.slice(0, this.#h.classNames.length) : [],
      createdAt: Date.now(),
      skipped,
      bytes: this.#bytes + thumbs.byteLength,
      chunkImages: CHUNK_IMAGES,
      thumbCount: this.#thumbs.length,
    };
    if (!this.#labeled) m.classNames = [];
    try {
      await guard(`dataset "${m.name}"`, async () => {
        await set(`ds:${m.id}:t`, thumbs, kv());
        await set(`ds:${m.id}:m`, m, kv());
      });
      await del(`ds:${m.id}:live`, kv());
    } catch (e) {
      await removeDatasetKeys(m.id);
      throw e;
    } finally {
      this.#lock.release();
    }
    return m;
  }

  async abort(): Promise<void> {
    this.#closed = true;
    const p = this.#pending;
    this.#pending = null;
    if (p) await p; // a write still landing would otherwise leave its chunk behind
    try {
      await removeDatasetKeys(this.#h.id);
    } finally {
      this.#lock.release();
    }
  }
}

async function removeDatasetKeys(id: string): Promise<void> {
  // the manifest goes first, so a crash half-way leaves an orphan (swept later), never a broken dataset
  await del(`ds:${id}:m`, kv());
  await delMany(await keysWithPrefix(`ds:${id}:`), kv());
}

export async function listDatasets(): Promise<DatasetManifest[]> {
  const mk = (await keysWithPrefix('ds:')).filter((k) => k.endsWith(':m'));
  const all = (await getMany<DatasetManifest>(mk, kv())).filter((m): m is DatasetManifest => !!m);
  return all.sort((a, b) => b.createdAt - a.createdAt);
}

export async function getManifest(id: string): Promise<DatasetManifest | undefined> {
  return get<DatasetManifest>(`ds:${id}:m`, kv());
}

export async function loadThumbnails(id: string): Promise<Uint8Array | undefined> {
  return get<Uint8Array>(`ds:${id}:t`, kv());
}

export async function readChunk(id: string, split: Split, k: number): Promise<StoredChunk> {
  const c = await get<StoredChunk>(chunkKey(id, split, k), kv());
  if (!c) throw new Error(`Dataset ${id}: chunk ${split}/${k} is missing (storage was cleared?)`);
  return c;
}

async function loadSplit(m: DatasetManifest, split: Split): Promise<ImageSet> {
  const count = m[split];
  const per = imageBytes(m.size);
  const pixels = new Uint8Array(count * per);
  const labels = m.classNames.length ? new Int32Array(count) : null;
  const nChunks = Math.ceil(count / m.chunkImages);
  let at = 0;
  for (let k = 0; k < nChunks; k++) {
    const c = await readChunk(m.id, split, k);
    pixels.set(c.pixels, at * per);
    if (labels && c.labels) labels.set(c.labels, at);
    at += c.pixels.length / per;
  }
  if (at !== count) throw new Error(`Dataset ${m.id}: ${split} holds ${at} images, manifest says ${count}`);
  return { size: m.size, count, pixels, labels };
}

/**
 * A split too large for the cache (stream.ts: shouldStream) as a streamed set: one pass over its chunks
 * (one chunk in memory at a time, the next one read ahead) keeps every label and the seeded `cap`-image
 * resident sample; training then reads chunks through the bounded cache.
 */
async function streamSplit(m: DatasetManifest, split: Split, cap: number, rng: Rng, window: number): Promise<ImageSet> {
  const count = m[split];
  const per = imageBytes(m.size);
  const resident = residentSample(count, cap, rng);
  const pixels = new Uint8Array(resident.length * per);
  const labels = m.classNames.length ? new Int32Array(count) : null;
  const nChunks = Math.ceil(count / m.chunkImages);
  let r = 0;
  let ahead = nChunks ? readChunk(m.id, split, 0) : null;
  for (let k = 0; k < nChunks; k++) {
    const c = await ahead!;
    ahead = k + 1 < nChunks ? readChunk(m.id, split, k + 1) : null;
    const from = k * m.chunkImages, n = c.pixels.length / per;
    if (n !== Math.min(m.chunkImages, count - from)) throw new Error(`Dataset ${m.id}: ${split} chunk ${k} holds ${n} images, expected ${Math.min(m.chunkImages, count - from)}`);
    if (labels && c.labels) labels.set(c.labels, from);
    for (; r < resident.length && resident[r] < from + n; r++) pixels.set(c.pixels.subarray((resident[r] - from) * per, (resident[r] - from + 1) * per), r * per);
  }
  const chunks = { chunkImages: m.chunkImages, window, read: async (k: number) => (await readChunk(m.id, split, k)).pixels };
  return { size: m.size, count, pixels, labels, resident, chunks };
}

export interface LoadOptions {
  /** Seeds the resident samples of streamed splits (config.seed). */
  seed?: number;
  /** Chunks per shuffle window (stream.ts; default STREAM_WINDOW); a split with more than 2 × window chunks is streamed with it. */
  window?: number;
}

/**
 * A stored dataset for the trainer. Splits that fit the stream cache (2 × window chunks) come back whole as
 * CPU bytes (the trainer uploads one batch at a time); a larger training split is streamed from its
 * chunks with RESIDENT_TRAIN images kept in memory, a held-out split larger than RESIDENT_TEST keeps that
 * many. Memory is then bounded whatever the dataset's size (stream.ts says the bound).
 */
export async function loadDataset(id: string, opts: LoadOptions = {}): Promise<Dataset> {
  checkId(id, 'dataset id');
  const m = await getManifest(id);
  if (!m) throw new Error(`Dataset "${id}" is not in this browser's storage (deleted, or imported in another browser).`);
  const seed = opts.seed ?? 0, window = opts.window ?? STREAM_WINDOW;
  if (!shouldStream(m.train, m.chunkImages, window))
    return { id: m.id, name: m.name, classNames: m.classNames, train: await loadSplit(m, 'train'), test: await loadSplit(m, 'test') };
  const test = m.test <= RESIDENT_TEST ? await loadSplit(m, 'test') : await streamSplit(m, 'test', RESIDENT_TEST, rngFor(seed, 'resident-test'), window);
  return { id: m.id, name: m.name, classNames: m.classNames, train: await streamSplit(m, 'train', RESIDENT_TRAIN, rngFor(seed, 'resident-train'), window), test };
}

export async function renameDataset(id: string, name: string): Promise<void> {
  const clean = name.trim();
  if (!clean) throw new Error('A dataset name cannot be empty.');
  const m = await getManifest(id);
  if (!m) throw new Error(`Dataset "${id}" not found.`);
  await guard('the new name', () => set(`ds:${id}:m`, { ...m, name: clean.slice(0, 200) }, kv()));
}

export async function deleteDataset(id: string): Promise<void> {
  checkId(id, 'dataset id');
  await removeDatasetKeys(id);
}

/**
 * Remove chunks of imports that never finished (tab closed mid-import). Left alone: `active` ids, imports
 * whose lock is held by any tab or worker (Web Locks), and, where Web Locks are missing, imports whose
 * liveness mark is younger than LIVE_MS at `now`.
 */
export async function sweepOrphans(active: Iterable<string> = [], now = Date.now()): Promise<number> {
  const keep = new Set(active);
  const all = await keysWithPrefix('ds:');
  const complete = new Set(all.filter((k) => k.endsWith(':m')).map((k) => k.split(':')[1]));
  const unfinished = [...new Set(all.map((k) => k.split(':')[1]))].filter((id) => !complete.has(id) && !keep.has(id));
  const lm = lockManager();
  if (lm) {
    const q = await lm.query();
    for (const l of [...(q.held ?? []), ...(q.pending ?? [])]) if (l.name?.startsWith(IMPORT_LOCK_PREFIX)) keep.add(l.name.slice(IMPORT_LOCK_PREFIX.length));
  } else {
    const marks = await getMany<number>(unfinished.map((id) => `ds:${id}:live`), kv());
    unfinished.forEach((id, i) => {
      const at = marks[i];
      if (typeof at === 'number' && now - at < LIVE_MS) keep.add(id);
    });
  }
  const orphans = all.filter((k) => {
    const id = k.split(':')[1];
    return !complete.has(id) && !keep.has(id);
  });
  if (orphans.length) await delMany(orphans, kv());
  return orphans.length;
}

// ---------------------------------------------------------------- runs

export interface RunMeta {
  id: string;
  name: string;
  createdAt: number;
  config: object;
  datasetId: string;
  backend: string;
}
export interface RunRecord extends RunMeta {
  metrics: object[];
  embedding?: Float32Array;
}
interface StoredRunMeta extends RunMeta {
  metricChunks: number;
  metricCount: number;
  hasEmbedding: boolean;
}

export async function saveRun(run: RunRecord): Promise<void> {
  checkId(run.id, 'run id');
  const old = await get<StoredRunMeta>(`run:${run.id}:m`, kv());
  const entries: [string, unknown][] = [];
  const n = Math.ceil(run.metrics.length / METRICS_PER_CHUNK);
  for (let k = 0; k < n; k++) entries.push([`run:${run.id}:x:${k}`, run.metrics.slice(k * METRICS_PER_CHUNK, (k + 1) * METRICS_PER_CHUNK)]);
  if (run.embedding) entries.push([`run:${run.id}:e`, run.embedding]);
  const meta: StoredRunMeta = {
    id: run.id, name: run.name, createdAt: run.createdAt, config: run.config, datasetId: run.datasetId, backend: run.backend,
    metricChunks: n, metricCount: run.metrics.length, hasEmbedding: !!run.embedding,
  };
  // one transaction: chunks and meta land together or not at all, so the previous save stays readable
  await guard(`run "${run.name}"`, () => setMany([...entries, [`run:${run.id}:m`, meta]], kv()));
  const stale: string[] = [];
  for (let k = n; k < (old?.metricChunks ?? 0); k++) stale.push(`run:${run.id}:x:${k}`);
  if (old?.hasEmbedding && !run.embedding) stale.push(`run:${run.id}:e`);
  if (stale.length) await delMany(stale, kv());
}

function publicMeta(m: StoredRunMeta): RunMeta {
  return { id: m.id, name: m.name, createdAt: m.createdAt, config: m.config, datasetId: m.datasetId, backend: m.backend };
}

export async function listRuns(): Promise<RunMeta[]> {
  const mk = (await keysWithPrefix('run:')).filter((k) => k.endsWith(':m'));
  const all = (await getMany<StoredRunMeta>(mk, kv())).filter((m): m is StoredRunMeta => !!m);
  return all.map(publicMeta).sort((a, b) => b.createdAt - a.createdAt);
}

export async function loadRun(id: string): Promise<RunRecord | undefined> {
  const m = await get<StoredRunMeta>(`run:${id}:m`, kv());
  if (!m) return undefined;
  const keys = Array.from({ length: m.metricChunks }, (_, k) => `run:${id}:x:${k}`);
  const chunks = await getMany<object[]>(keys, kv());
  const run: RunRecord = { ...publicMeta(m), metrics: chunks.flatMap((c) => c ?? []) };
  if (m.hasEmbedding) run.embedding = await get<Float32Array>(`run:${id}:e`, kv());
  return run;
}

export async function renameRun(id: string, name: string): Promise<void> {
  const clean = name.trim();
  if (!clean) throw new Error('A run name cannot be empty.');
  const m = await get<StoredRunMeta>(`run:${id}:m`, kv());
  if (!m) throw new Error(`Run "${id}" not found.`);
  await guard('the new name', () => set(`run:${id}:m`, { ...m, name: clean.slice(0, 200) }, kv()));
}

export async function deleteRun(id: string): Promise<void> {
  await del(`run:${id}:m`, kv());
  await delMany(await keysWithPrefix(`run:${id}:`), kv());
  await deleteCheckpoint(id);
}

// ---------------------------------------------------------------- checkpoints

export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}
export interface Checkpoint {
  meta: object;
  tensors: Record<string, CheckpointTensor>;
}

/** New blob under a fresh key, then swap the pointer, then drop the old blob: a crash never loses both. */
export async function saveCheckpoint(runId: string, meta: object, tensors: Record<string, CheckpointTensor>): Promise<void> {
  checkId(runId, 'run id');
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`Checkpoint tensor "${name}": shape [${t.shape}] needs ${n} values, got ${t.data.length}`);
  }
  const ptrKey = `ck:${runId}:p`;
  const old = await get<string>(ptrKey, kv());
  const blobKey = `ck:${runId}:b:${newId('c')}`;
  await guard('the checkpoint', () => set(blobKey, { meta, tensors } satisfies Checkpoint, kv()));
  try {
    await guard('the checkpoint', () => set(ptrKey, blobKey, kv()));
  } catch (e) {
    await del(blobKey, kv());
    throw e;
  }
  if (old && old !== blobKey) await del(old, kv());
}

export async function loadCheckpoint(runId: string): Promise<Checkpoint | undefined> {
  const ptr = await get<string>(`ck:${runId}:p`, kv());
  return ptr ? get<Checkpoint>(ptr, kv()) : undefined;
}

export async function deleteCheckpoint(runId: string): Promise<void> {
  await del(`ck:${runId}:p`, kv());
  await delMany(await keysWithPrefix(`ck:${runId}:`), kv());
}

// ---------------------------------------------------------------- tags ("label a few")

/** Held-out image index → the class name the user gave it (train/tagged.ts reads them). */
export type PhotoTags = Map<number, string>;

/** The user's tags on a dataset's held-out photos; entries that are not [index ≥ 0, non-empty name] are dropped. */
export async function loadTags(id: string): Promise<PhotoTags> {
  checkId(id, 'dataset id');
  const raw = await get<unknown>(`ds:${id}:tags`, kv());
  const out: PhotoTags = new Map();
  if (Array.isArray(raw))
    for (const e of raw) if (Array.isArray(e) && Number.isInteger(e[0]) && e[0] >= 0 && typeof e[1] === 'string' && e[1].trim()) out.set(e[0], e[1].trim());
  return out;
}

/** Replace a dataset's tags (kept under the dataset's prefix, so deleting the dataset deletes them). */
export async function saveTags(id: string, tags: PhotoTags): Promise<void> {
  checkId(id, 'dataset id');
  const pairs = [...tags].sort((a, b) => a[0] - b[0]);
  await guard('tags', () => (pairs.length ? set(`ds:${id}:tags`, pairs, kv()) : del(`ds:${id}:tags`, kv())));
}

// ---------------------------------------------------------------- settings and quota

export async function getSetting<T>(name: string): Promise<T | undefined> {
  return get<T>(`set:${name}`, kv());
}

export async function setSetting(name: string, value: unknown): Promise<void> {
  await guard(`setting "${name}"`, () => set(`set:${name}`, value, kv()));
}

/** The dataset chosen last time, if it is still stored: the app selects it again after a reload. */
export async function lastDataset(): Promise<{ id: string; name: string } | null> {
  const id = await getSetting<string>('lastDataset');
  if (!id || id === 'embedded' || !ID_PATTERN.test(id)) return null;
  const m = await getManifest(id);
  return m ? { id: m.id, name: m.name } : null;
}

export interface StorageUsage {
  usage: number;
  quota: number;
  persisted: boolean;
}

/** Usage and quota for this origin, or null where the browser does not say. Works in workers too. */
export async function storageUsage(): Promise<StorageUsage | null> {
  const s = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!s?.estimate) return null;
  const e = await s.estimate();
  const persisted = s.persisted ? await s.persisted() : false;
  return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
}

/** Ask the browser not to evict our data under pressure. Returns whether it agreed (null: unsupported). */
export async function requestPersistence(): Promise<boolean | null> {
  const s = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!s?.persist) return null;
  return s.persist();
}
