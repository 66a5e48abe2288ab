/**
 * Epoch-wise shuffled mini-batches without replacement. Each epoch is a fresh permutation of 0..count−1
 * cut into floor(count / batch) batches; the remainder is dropped so every batch has the same shape (the
 * GPU buffer pool is keyed by size) and no batch holds one image twice (a duplicate would be its own
 * negative in the NCE loss). A different remainder is dropped each epoch.
 *
 * The state is tiny: each permutation is rebuilt from the Rng state saved at the start of its epoch.
 */

import { Rng, type RngState } from '../rng';

export interface BatchSamplerState {
  count: number;
  batch: number;
  /** Completed epochs. */
  epoch: number;
  /** Batches already taken from the current epoch. */
  pos: number;
  /** Rng state just before the current epoch's shuffle. */
  epochRng: RngState;
}

export class BatchSampler {
  readonly count: number;
  readonly batch: number;
  #rng: Rng;
  #epochRng: RngState;
  #perm: Int32Array;
  #epoch = 0;
  #pos = 0;

  /** The sampler owns `rng` from here on: pass a fork (`rng.fork('batches')`) if the stream is shared. */
  constructor(count: number, batch: number, rng: Rng) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`BatchSampler: count must be a positive integer, got ${count}`);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`BatchSampler: batch must be a positive integer, got ${batch}`);
    if (batch > count) throw new RangeError(`BatchSampler: batch (${batch}) exceeds the dataset (${count} images)`);
    this.count = count;
    this.batch = batch;
    this.#rng = rng;
    this.#perm = new Int32Array(count);
    this.#epochRng = this.#shuffle();
  }

  /** Batches per epoch (the remainder count % batch is dropped). */
  get batchesPerEpoch(): number {
    return Math.floor(this.count / this.batch);
  }

  /** Completed epochs. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Batches drawn so far. */
  get step(): number {
    return this.#epoch * this.batchesPerEpoch + this.#pos;
  }

  /** The next batch of distinct indices (a fresh array the caller may keep). */
  next(): Int32Array {
    if (this.#pos === this.batchesPerEpoch) {
      this.#epoch++;
      this.#pos = 0;
      this.#epochRng = this.#shuffle();
    }
    const start = this.#pos++ * this.batch;
    return this.#perm.slice(start, start + this.batch);
  }

  /** Serialisable (structured-clone and JSON safe) state for checkpoints. */
  get state(): BatchSamplerState {
    return { count: this.count, batch: this.batch, epoch: this.#epoch, pos: this.#pos, epochRng: [...this.#epochRng] as RngState };
  }

  /** A sampler that continues exactly where the one that produced `state` was. */
  static restore(state: BatchSamplerState): BatchSampler {
    const bad = (what: string) => new RangeError(`BatchSampler.restore: bad state (${what})`);
    if (typeof state !== 'object' || state === null) throw bad('not an object');
    const { count, batch, epoch, pos, epochRng } = state;
    if (!Array.isArray(epochRng) || epochRng.length !== 4 || !epochRng.every((v) => Number.isInteger(v))) throw bad('epochRng');
    if (!Number.isInteger(epoch) || epoch < 0) throw bad('epoch');
    // The constructor validates count and batch and rebuilds the current epoch's permutation.
    const s = new BatchSampler(count, batch, new Rng(epochRng));
    if (!Number.isInteger(pos) || pos < 0 || pos > s.batchesPerEpoch) throw bad('pos');
    s.#epoch = epoch;
    s.#pos = pos;
    return s;
  }

  /** New permutation from the current rng; returns the rng state it started from. */
  #shuffle(): RngState {
    const start = this.#rng.state;
    for (let i = 0; i < this.count; i++) this.#perm[i] = i;
    this.#rng.shuffle(this.#perm);
    return start;
  }
}
