import { describe, expect, it } from 'vitest';
import { Rng, rngFor } from '../rng';
import { BatchSampler } from './batches';
import { gather, imageBytes, type ImageSet } from './dataset';
import {
  MemoryBatches, StreamBatches, batchSource, cacheBound, minWindow, planEpoch, residentSample, restoreBatchSource, shouldStream,
  type ChunkSource, type StreamedSet,
} from './stream';

const SIZE = 2; // 12 bytes an image: every byte names its image, so a mix-up shows
const PER = imageBytes(SIZE);

/** All images in one array: byte k of image i is (i * 7 + k) mod 256, plus the image index in bytes 0-2. */
function allPixels(count: number): Uint8Array {
  const a = new Uint8Array(count * PER);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < PER; k++) a[i * PER + k] = (i * 7 + k) & 255;
    a[i * PER] = i & 255;
    a[i * PER + 1] = (i >> 8) & 255;
    a[i * PER + 2] = (i >> 16) & 255;
  }
  return a;
}
const idOf = (px: Uint8Array, j: number) => px[j * PER] | (px[j * PER + 1] << 8) | (px[j * PER + 2] << 16);

/** A chunk source over an array, counting reads; `delay` makes each read take a macrotask, like IndexedDB. */
function source(count: number, chunkImages: number, delay = false): ChunkSource & { reads: number[] } {
  const all = allPixels(count);
  const reads: number[] = [];
  return {
    chunkImages,
    reads,
    read: async (k: number) => {
      reads.push(k);
      if (delay) await new Promise((r) => setTimeout(r, 0));
      return all.slice(k * chunkImages * PER, Math.min(count, (k + 1) * chunkImages) * PER);
    },
  };
}

function streamedSet(count: number, chunkImages: number, delay = false): StreamedSet & { chunks: { reads: number[] } } {
  const chunks = source(count, chunkImages, delay);
  const resident = Int32Array.from([1, 5, 9].filter((i) => i < count));
  return { size: SIZE, count, pixels: gather({ size: SIZE, count, pixels: allPixels(count), labels: null }, resident), labels: null, resident, chunks };
}

/** The slow, obvious reference: every image in memory, each epoch's plan from the same seeded Rng, cut into batches. */
function referenceBatches(count: number, chunkImages: number, window: number, batch: number, seed: number, n: number): { idx: Int32Array; px: Uint8Array }[] {
  const all: ImageSet = { size: SIZE, count, pixels: allPixels(count), labels: null };
  const rng = rngFor(seed, 'batches');
  const out: { idx: Int32Array; px: Uint8Array }[] = [];
  const perEpoch = Math.floor(count / batch);
  while (out.length < n) {
    const { order } = planEpoch(count, chunkImages, window, rng);
    for (let b = 0; b < perEpoch && out.length < n; b++) {
      const idx = order.slice(b * batch, (b + 1) * batch);
      out.push({ idx, px: gather(all, idx) });
    }
  }
  return out;
}

async function take(s: StreamBatches, n: number, yieldBetween = false): Promise<{ idx: Int32Array; px: Uint8Array }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const px = new Uint8Array(s.batch * PER);
    const idx = await s.next(px);
    out.push({ idx, px });
    if (yieldBetween) await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

describe('planEpoch', () => {
  it('is a permutation whose windows hold whole chunks, shuffled by chunk and within each window', () => {
    const count = 1000, C = 64, W = 3;
    const p = planEpoch(count, C, W, new Rng(4));
    expect([...p.order].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(p.windows.flatMap((w) => [...w]).sort((a, b) => a - b)).toEqual(Array.from({ length: Math.ceil(count / C) }, (_, k) => k));
    p.windows.forEach((ids, w) => {
      const end = p.starts[w + 1] ?? count;
      const chunksSeen = new Set(Array.from(p.order.subarray(p.starts[w], end), (i) => Math.floor(i / C)));
      expect([...chunksSeen].sort()).toEqual([...ids].sort());
    });
    // shuffled: neither chunks nor images come in their stored order
    expect([...p.windows[0]]).not.toEqual([0, 1, 2]);
    expect([...p.order.subarray(0, 10)]).not.toEqual([...p.order.subarray(0, 10)].sort((a, b) => a - b));
  });
});

describe('StreamBatches', () => {
  const count = 1000, C = 64, W = 2, B = 24;

  it('gives the same batches as the slow reference (all in memory, same plans), across epochs', async () => {
    const s = new StreamBatches(streamedSet(count, C), B, rngFor(7, 'batches'), W);
    const n = 3 * s.batchesPerEpoch + 5;
    const got = await take(s, n);
    const want = referenceBatches(count, C, W, B, 7, n);
    for (let b = 0; b < n; b++) {
      expect(got[b].idx).toEqual(want[b].idx);
      expect(got[b].px).toEqual(want[b].px);
      for (let j = 0; j < B; j++) expect(idOf(got[b].px, j)).toBe(got[b].idx[j] & 0xffffff);
    }
  });

  it('draws each epoch as a permutation (distinct images, the remainder dropped) and the next epoch in another order', async () => {
    const s = new StreamBatches(streamedSet(count, C), B, rngFor(1, 'batches'), W);
    const E = s.batchesPerEpoch;
    const batches = await take(s, 2 * E);
    const epoch = (e: number) => batches.slice(e * E, (e + 1) * E).flatMap((b) => [...b.idx]);
    for (const e of [0, 1]) {
      const seen = epoch(e);
      expect(seen.length).toBe(E * B);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.every((i) => i >= 0 && i < count)).toBe(true);
    }
    expect(epoch(1)).not.toEqual(epoch(0));
  });

  it('is reproducible from the seed, and another seed gives another stream', async () => {
    const run = async (seed: number) => (await take(new StreamBatches(streamedSet(count, C), B, rngFor(seed, 'batches'), W), 60)).map((b) => [...b.idx]);
    expect(await run(3)).toEqual(await run(3));
    expect(await run(4)).not.toEqual(await run(3));
  });

  it('never holds more than 2 × window chunks, and reads each chunk about once an epoch', async () => {
    const set = streamedSet(count, C, true);
    const s = new StreamBatches(set, B, rngFor(2, 'batches'), W);
    const epochs = 3;
    const batches = await take(s, epochs * s.batchesPerEpoch, true);
    expect(batches.length).toBe(epochs * s.batchesPerEpoch);
    expect(s.stats.peakChunks).toBeGreaterThan(W); // it does read ahead
    expect(s.stats.peakChunks).toBeLessThanOrEqual(2 * W);
    const nc = Math.ceil(count / C);
    expect(set.chunks.reads.length).toBe(s.stats.reads);
    // every chunk once per epoch, plus at most one read-ahead window into an epoch not finished (a chunk in
    // both an epoch's last window and the next one's first is kept, not read again)
    expect(s.stats.reads).toBeGreaterThanOrEqual(epochs * nc - (epochs - 1) * W);
    expect(s.stats.reads).toBeLessThanOrEqual(epochs * nc + W);
    // with time between batches the read-ahead is always in time: only the very first batch waits
    expect(s.stats.stalls).toBe(1);
    s.dispose();
    expect(s.stats.chunks).toBe(0);
  });

  it('keeps the bound with a batch larger than a chunk (the window grows to keep a batch within two windows)', async () => {
    const set = streamedSet(count, 16, true);
    const s = new StreamBatches(set, 40, rngFor(5, 'batches'), 1);
    expect(s.window).toBe(minWindow(40, 16));
    const got = await take(s, 2 * s.batchesPerEpoch, true);
    expect(s.stats.peakChunks).toBeLessThanOrEqual(2 * s.window);
    for (const b of got) expect(new Set(b.idx).size).toBe(40);
  });

  it('continues the same batches after restoring its state, mid-epoch and at an epoch boundary', async () => {
    for (const at of [7, 41, 41 * 2]) {
      const a = new StreamBatches(streamedSet(count, C), B, rngFor(9, 'batches'), W);
      expect(a.batchesPerEpoch).toBe(41);
      await take(a, at);
      const state = JSON.parse(JSON.stringify(a.state));
      const b = StreamBatches.restore(state, streamedSet(count, C));
      const ga = await take(a, 50), gb = await take(b, 50);
      expect(gb.map((x) => [...x.idx])).toEqual(ga.map((x) => [...x.idx]));
      expect(gb.map((x) => [...x.px])).toEqual(ga.map((x) => [...x.px]));
    }
  });

  it('refuses a state of another dataset or kind, naming what is wrong', () => {
    const s = new StreamBatches(streamedSet(count, C), B, rngFor(9, 'batches'), W);
    expect(() => StreamBatches.restore({ ...s.state, count: 999 }, streamedSet(count, C))).toThrow(/999 images/);
    const mem: ImageSet = { size: SIZE, count, pixels: allPixels(count), labels: null };
    expect(() => restoreBatchSource(s.state, mem)).toThrow(/streamed its dataset/);
    expect(() => restoreBatchSource(new BatchSampler(count, B, new Rng(1)).state, streamedSet(count, C))).toThrow(/held its dataset in memory/);
  });

  it('reports a failed chunk read when a batch needs it', async () => {
    const set = streamedSet(count, C);
    set.chunks.read = async () => {
      throw new Error('Dataset x: chunk train/3 is missing (storage was cleared?)');
    };
    const s = new StreamBatches(set, B, rngFor(9, 'batches'), W);
    await expect(s.next(new Uint8Array(B * PER))).rejects.toThrow(/chunk train\/3 is missing/);
  });
});

describe('batchSource', () => {
  it('keeps an in-memory split on BatchSampler, batch for batch as before', () => {
    const set: ImageSet = { size: SIZE, count: 100, pixels: allPixels(100), labels: null };
    const src = batchSource(set, 8, rngFor(3, 'batches'));
    expect(src).toBeInstanceOf(MemoryBatches);
    const ref = new BatchSampler(100, 8, rngFor(3, 'batches'));
    for (let i = 0; i < 30; i++) {
      const out = new Uint8Array(8 * PER);
      const idx = src.next(out) as Int32Array;
      const want = ref.next();
      expect(idx).toEqual(want);
      expect(out).toEqual(gather(set, want));
    }
  });

  it('streams a streamed set with the window it was opened with', () => {
    const set = streamedSet(1000, 64);
    expect(batchSource(set, 8, new Rng(1))).toBeInstanceOf(StreamBatches);
    expect((batchSource(set, 8, new Rng(1)) as StreamBatches).window).toBe(8);
    set.chunks.window = 3;
    expect((batchSource(set, 8, new Rng(1)) as StreamBatches).window).toBe(3);
  });
});

describe('bounds and samples', () => {
  it('streams only splits with more chunks than the cache holds, and states the bound in bytes', () => {
    expect(shouldStream(16 * 256, 256, 8)).toBe(false);
    expect(shouldStream(16 * 256 + 1, 256, 8)).toBe(true);
    expect(cacheBound(64, 256, 8)).toBe(2 * 8 * 256 * 64 * 64 * 3); // 48 MiB
    expect(cacheBound(64, 256, 8)).toBe(48 * 2 ** 20);
  });

  it('draws a sorted, distinct, seeded resident sample, or everything when the split is small', () => {
    const a = residentSample(5000, 100, rngFor(1, 'resident-train'));
    expect(a.length).toBe(100);
    expect(new Set(a).size).toBe(100);
    expect([...a]).toEqual([...a].sort((x, y) => x - y));
    expect(residentSample(5000, 100, rngFor(1, 'resident-train'))).toEqual(a);
    expect(residentSample(5000, 100, rngFor(2, 'resident-train'))).not.toEqual(a);
    expect(residentSample(50, 100, new Rng(1))).toEqual(Int32Array.from({ length: 50 }, (_, i) => i));
  });

  it('gathers resident images of a streamed set by their dataset index and refuses the others', () => {
    const set = streamedSet(1000, 64);
    const all: ImageSet = { size: SIZE, count: 1000, pixels: allPixels(1000), labels: null };
    expect(gather(set, [9, 1, 5])).toEqual(gather(all, [9, 1, 5]));
    expect(() => gather(set, [2])).toThrow(/not in memory/);
  });
});
