/**
 * Training batches from stored chunks through a bounded cache, so memory stays flat as a dataset grows.
 *
 * Order (one epoch): the split's chunks are shuffled, cut into windows of `window` chunks, and the images of
 * each window are shuffled among themselves; the epoch is the windows one after another, cut into
 * floor(count / batch) batches (the remainder is dropped, as in batches.ts, so every batch has one shape
 * and no image twice). Everything comes from one seeded Rng whose state at the start of each epoch is kept,
 * so a checkpoint needs only (epoch, position, that state) to continue the same stream.
 *
 * Memory bound: the cache holds at most 2 × window chunks, the window being trained on and the next one,
 * read ahead while the current one trains, so training does not wait for IndexedDB. With the default
 * window of 8 chunks of 256 images that is 2 × 8 × 256 × S·S·3 bytes: 48 MiB at 64 px, 12 MiB at 32 px,
 * whatever the dataset's size. A batch may straddle two windows; then no further window is read until it
 * is done, which keeps the bound. Shuffling only within a window mixes less than a full permutation (a
 * batch sees images of at most 2 × window chunks); a folder imported class by class still mixes classes
 * across the window's chunks.
 *
 * Small splits (whose chunks fit in the cache) are not streamed: they are loaded whole and sampled by
 * BatchSampler as before, so their batches are exactly what they were. `batchSource` picks the one for a
 * set; both implement BatchSource.
 */
import { Rng, type RngState } from '../rng';
import { BatchSampler, type BatchSamplerState } from './batches';
import { gather, imageBytes, type ImageSet } from './dataset';

/** Chunks per shuffle window; the cache holds two windows. */
export const STREAM_WINDOW = 8;
/** Training-split images kept in memory for evaluation (kNN neighbours, softmax fit, previews, "more like this"). */
export const RESIDENT_TRAIN = 1000;
/** Held-out images kept in memory (probe set, map, thumbnails); a split this small or smaller stays whole. */
export const RESIDENT_TEST = 2000;

/** Where a streamed split's chunks come from (the store in the app; files or arrays in benches and tests). */
export interface ChunkSource {
  /** Images per chunk; every chunk but the last holds exactly this many. */
  chunkImages: number;
  /** Pixels of chunk k: (n, S, S, 3) bytes. */
  read(k: number): Promise<Uint8Array>;
  /** Chunks per shuffle window, as chosen when the split was opened (STREAM_WINDOW when absent). */
  window?: number;
}

/** An ImageSet whose pixels are not all in memory: `pixels` holds the `resident` sample, `chunks` the rest. */
export type StreamedSet = ImageSet & { resident: Int32Array; chunks: ChunkSource };

export function isStreamed(set: ImageSet): set is StreamedSet {
  return !!set.chunks && !!set.resident;
}

/** Whether a split of `count` images should be streamed rather than loaded whole. */
export function shouldStream(count: number, chunkImages: number, window = STREAM_WINDOW): boolean {
  return Math.ceil(count / chunkImages) > 2 * window;
}

/** Bytes the cache holds at most for images of side `size`. */
export function cacheBound(size: number, chunkImages: number, window = STREAM_WINDOW): number {
  return 2 * window * chunkImages * imageBytes(size);
}

export interface StreamState {
  kind: 'stream';
  count: number;
  batch: number;
  chunkImages: number;
  window: number;
  epoch: number;
  /** Batches already taken from the current epoch. */
  pos: number;
  /** Rng state just before the current epoch's shuffles. */
  epochRng: RngState;
}

/** One epoch of the stream: image order, and each window's chunks and first position. */
export interface EpochPlan {
  order: Int32Array;
  windows: Int32Array[];
  starts: number[];
  /** Rng state before this epoch's shuffles. */
  rng: RngState;
}

/** The epoch plan drawn from `rng` (advanced by it): chunks shuffled, then images within each window. */
export function planEpoch(count: number, chunkImages: number, window: number, rng: Rng): EpochPlan {
  const start = rng.state;
  const nc = Math.ceil(count / chunkImages);
  const chunks = Int32Array.from({ length: nc }, (_, k) => k);
  rng.shuffle(chunks);
  const order = new Int32Array(count);
  const windows: Int32Array[] = [], starts: number[] = [];
  let at = 0;
  for (let w = 0; w * window < nc; w++) {
    const ids = chunks.slice(w * window, (w + 1) * window);
    const from = at;
    for (const k of ids) for (let i = k * chunkImages; i < Math.min(count, (k + 1) * chunkImages); i++) order[at++] = i;
    rng.shuffle(order.subarray(from, at));
    windows.push(ids);
    starts.push(from);
  }
  return { order, windows, starts, rng: start };
}

/** Smallest window that keeps every batch within two windows (a window then holds more than `batch` images even with the short last chunk). */
export function minWindow(batch: number, chunkImages: number): number {
  return 1 + Math.ceil(batch / chunkImages);
}

/** Batches of image bytes for the trainer: the indices drawn, their pixels written into `out`. */
export interface BatchSource {
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly epoch: number;
  /** Fills `out` with the next batch's (B, S, S, 3) bytes and returns its image indices. */
  next(out: Uint8Array): Int32Array | Promise<Int32Array>;
  readonly state: BatchSamplerState | StreamState;
  dispose(): void;
}

/** The whole split in memory: BatchSampler's permutations, exactly as before streaming existed. */
export class MemoryBatches implements BatchSource {
  constructor(
    readonly set: ImageSet,
    readonly sampler: BatchSampler,
  ) {}
  get batch() {
    return this.sampler.batch;
  }
  get batchesPerEpoch() {
    return this.sampler.batchesPerEpoch;
  }
  get epoch() {
    return this.sampler.epoch;
  }
  get state() {
    return this.sampler.state;
  }
  next(out: Uint8Array): Int32Array {
    const idx = this.sampler.next();
    gather(this.set, idx, out);
    return idx;
  }
  dispose(): void {}
}

/** What the cache did (the tests' and the bench's instrument). */
export interface CacheStats {
  /** Most chunks held at once (loaded or being read). */
  peakChunks: number;
  /** Chunks held now. */
  chunks: number;
  /** Chunk reads started. */
  reads: number;
  /** Batches that had to wait for a read. */
  stalls: number;
}

export class StreamBatches implements BatchSource {
  readonly set: StreamedSet;
  readonly batch: number;
  readonly window: number;
  readonly #per: number;
  #rng: Rng;
  #cur: EpochPlan;
  #next: EpochPlan | null = null;
  #epoch = 0;
  #pos = 0;
  readonly #cache = new Map<number, { p: Promise<Uint8Array>; px: Uint8Array | null }>();
  readonly stats: CacheStats = { peakChunks: 0, chunks: 0, reads: 0, stalls: 0 };

  /** The stream owns `rng` from here on. `window` is raised to minWindow(batch) where needed. */
  constructor(set: StreamedSet, batch: number, rng: Rng, window = STREAM_WINDOW) {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`StreamBatches: batch must be a positive integer, got ${batch}`);
    if (batch > set.count) throw new RangeError(`StreamBatches: batch (${batch}) exceeds the dataset (${set.count} images)`);
    this.set = set;
    this.batch = batch;
    this.window = Math.max(window, minWindow(batch, set.chunks.chunkImages));
    this.#per = imageBytes(set.size);
    this.#rng = rng;
    this.#cur = this.#plan();
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.set.count / this.batch);
  }
  get epoch(): number {
    return this.#epoch;
  }
  get step(): number {
    return this.#epoch * this.batchesPerEpoch + this.#pos;
  }
  get state(): StreamState {
    const { count } = this.set;
    return { kind: 'stream', count, batch: this.batch, chunkImages: this.set.chunks.chunkImages, window: this.window, epoch: this.#epoch, pos: this.#pos, epochRng: [...this.#cur.rng] as RngState };
  }

  /** A stream that continues exactly where the one that saved `state` was, over the same split. */
  static restore(state: StreamState, set: StreamedSet): StreamBatches {
    const bad = (what: string) => new RangeError(`StreamBatches.restore: bad state (${what})`);
    if (typeof state !== 'object' || state === null || state.kind !== 'stream') throw bad('not a stream state');
    if (state.count !== set.count) throw bad(`saved for ${state.count} images, the dataset has ${set.count}`);
    if (state.chunkImages !== set.chunks.chunkImages) throw bad('chunk size');
    if (!Array.isArray(state.epochRng) || state.epochRng.length !== 4) throw bad('epochRng');
    if (!Number.isInteger(state.epoch) || state.epoch < 0) throw bad('epoch');
    const s = new StreamBatches(set, state.batch, new Rng(state.epochRng), state.window);
    if (s.window !== state.window) throw bad('window');
    if (!Number.isInteger(state.pos) || state.pos < 0 || state.pos > s.batchesPerEpoch) throw bad('pos');
    s.#epoch = state.epoch;
    s.#pos = state.pos;
    return s;
  }

  #plan(): EpochPlan {
    return planEpoch(this.set.count, this.set.chunks.chunkImages, this.window, this.#rng);
  }

  /** Window of epoch position p. */
  #windowAt(plan: EpochPlan, p: number): number {
    let w = 0;
    while (w + 1 < plan.starts.length && plan.starts[w + 1] <= p) w++;
    return w;
  }

  async next(out: Uint8Array): Promise<Int32Array> {
    if (this.#pos === this.batchesPerEpoch) {
      this.#epoch++;
      this.#pos = 0;
      this.#cur = this.#next ?? this.#plan();
      this.#next = null;
    }
    const plan = this.#cur, B = this.batch;
    const s = this.#pos++ * B;
    const w0 = this.#windowAt(plan, s), w1 = this.#windowAt(plan, s + B - 1);
    const keep: number[] = [];
    for (let w = w0; w <= w1; w++) keep.push(...plan.windows[w]);
    const need = new Set(keep);
    if (w0 === w1) {
      // Read ahead: the next window, in this epoch or the next one.
      if (w0 + 1 < plan.windows.length) keep.push(...plan.windows[w0 + 1]);
      else keep.push(...(this.#next ??= this.#plan()).windows[0]);
    }
    const keepSet = new Set(keep);
    for (const k of [...this.#cache.keys()]) if (!keepSet.has(k)) this.#cache.delete(k);
    for (const k of keepSet) this.#load(k);
    this.stats.chunks = this.#cache.size;
    this.stats.peakChunks = Math.max(this.stats.peakChunks, this.#cache.size);
    const px = new Map<number, Uint8Array>();
    let stalled = false;
    for (const k of need) {
      const e = this.#cache.get(k)!;
      if (!e.px) stalled = true;
      px.set(k, e.px ?? (await e.p));
    }
    if (stalled) this.stats.stalls++;
    const idx = plan.order.slice(s, s + B);
    const per = this.#per, C = this.set.chunks.chunkImages;
    for (let j = 0; j < B; j++) {
      const i = idx[j], k = Math.floor(i / C), r = i - k * C;
      out.set(px.get(k)!.subarray(r * per, (r + 1) * per), j * per);
    }
    return idx;
  }

  #load(k: number): void {
    if (this.#cache.has(k)) return;
    this.stats.reads++;
    const e: { p: Promise<Uint8Array>; px: Uint8Array | null } = { p: null!, px: null };
    e.p = this.set.chunks.read(k).then((px) => {
      const want = Math.min(this.set.chunks.chunkImages, this.set.count - k * this.set.chunks.chunkImages) * this.#per;
      if (px.length !== want) throw new Error(`chunk ${k} holds ${px.length} bytes, expected ${want}`);
      e.px = px;
      return px;
    });
    e.p.catch(() => {}); // a read-ahead that fails is reported when a batch needs it
    this.#cache.set(k, e);
  }

  dispose(): void {
    this.#cache.clear();
    this.stats.chunks = 0;
  }
}

/** The batch source for a training split: streamed when the set is, else in memory (BatchSampler). */
export function batchSource(set: ImageSet, batch: number, rng: Rng): BatchSource {
  return isStreamed(set) ? new StreamBatches(set, batch, rng, set.chunks.window ?? STREAM_WINDOW) : new MemoryBatches(set, new BatchSampler(set.count, batch, rng));
}

/** A batch source continuing a checkpoint's stream; refuses a state of the other kind. */
export function restoreBatchSource(state: BatchSamplerState | StreamState, set: ImageSet): BatchSource {
  const streamState = (state as StreamState)?.kind === 'stream';
  if (streamState !== isStreamed(set))
    throw new Error(
      streamState
        ? 'This checkpoint streamed its dataset from storage, but the dataset is now held in memory: it cannot continue the same batches.'
        : 'This checkpoint held its dataset in memory, but the dataset is now streamed from storage: it cannot continue the same batches.',
    );
  return streamState ? StreamBatches.restore(state as StreamState, set as StreamedSet) : new MemoryBatches(set, BatchSampler.restore(state as BatchSamplerState));
}

/** A seeded sample of `cap` indices of [0, count), sorted (all of them when count ≤ cap). */
export function residentSample(count: number, cap: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: count }, (_, i) => i);
  if (count <= cap) return all;
  rng.shuffle(all);
  return all.slice(0, cap).sort();
}
