/**
 * Training from the store against training from memory (issue 14), in Node on the tfjs CPU backend with
 * the real store code (DatasetWriter, loadDataset) over fake-indexeddb and the real loop (TrainingRun).
 * For 1,000 / 5,000 / 20,000 generated 32 px images:
 * - training images/s from memory and from the store in alternating rounds (memory, store, store, memory…)
 *   so a noisy neighbour slows both alike, and the median of the per-round ratios. The store streams with
 *   windows of 2 chunks here, harsher than the app's 8 (less time for the read-ahead); each chunk is still
 *   read once an epoch. A tiny step takes seconds on this shared CPU, so each timed round is short and
 *   starts a few steps before a window change (the batches before it are drawn, not trained);
 * - the batch feed alone (no training step) from each;
 * - memory with the app's own window (STREAM_WINDOW): a split whose chunks fit the cache (2 × 8 chunks,
 *   4,096 images) is loaded whole, as in the app. fake-indexeddb keeps its database in this process, so the
 *   process grows with the dataset whatever the trainer does; what is reported is what the trainer adds on
 *   top: ArrayBuffer bytes alive after a full GC (less tfjs's tensors) at the peak of a run, minus those
 *   alive before the dataset was loaded, and the bytes its dataset and cache hold by count.
 * Run alone: `npx tsx bench/stream.ts [--quick]` or `npm run bench -- stream`; `npm run bench -- train` ends with it.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { validate, type Config } from '../src/lib/config';
import { imageBytes, type Dataset, type ImageSet } from '../src/lib/data/dataset';
import { DatasetWriter, loadDataset, useDatabase } from '../src/lib/data/store';
import { STREAM_WINDOW, StreamBatches, cacheBound, isStreamed } from '../src/lib/data/stream';
import { makeEmbeddedDataset } from '../src/lib/data/synthetic';
import { rngFor } from '../src/lib/rng';
import { TrainingRun } from '../src/lib/train/loop';
import { disposeStepCaches } from '../src/lib/train/step';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** ArrayBuffer bytes alive after a full GC, less those of tfjs tensors (the CPU backend keeps them in ArrayBuffers too). */
const liveBytes = () => {
  gc();
  return process.memoryUsage().arrayBuffers - tf.memory().numBytes;
};
const MiB = 2 ** 20;
const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');

/** `n` generated training images (the embedded generator's 1,000 shapes, repeated) and 200 held-out, stored. */
async function storeImages(id: string, n: number, size: 32): Promise<void> {
  const base = makeEmbeddedDataset({ seed: 1, trainCount: 1000, testCount: 200, size });
  const per = imageBytes(size);
  const w = new DatasetWriter({ id, name: id, source: 'folder', size, classNames: base.classNames });
  const add = async (split: 'train' | 'test', set: ImageSet, i: number) => {
    const j = i % set.count;
    await w.add(split, set.pixels.subarray(j * per, (j + 1) * per), set.labels![j]);
  };
  for (let i = 0; i < n; i++) await add('train', base.train, i);
  for (let i = 0; i < 200; i++) await add('test', base.test, i);
  await w.finish([]);
}

/** Bytes the dataset object holds (pixels in memory, labels) and, for a stream, its cache at its peak. */
function heldBytes(d: Dataset, run: TrainingRun): number {
  const set = (s: ImageSet) => s.pixels.byteLength + (s.labels?.byteLength ?? 0) + (s.resident?.byteLength ?? 0);
  const b = run.batches;
  const cache = b instanceof StreamBatches ? b.stats.peakChunks * b.set.chunks.chunkImages * imageBytes(d.train.size) + d.train.count * 4 * 2 : 0;
  return set(d.train) + set(d.test) + cache;
}

/** Images/s of the batch source alone (copying batches, no training step) over `batches` batches. */
async function feedRate(data: Dataset, cfg: Config, batches: number): Promise<number> {
  const run = new TrainingRun(cfg, data);
  const out = new Uint8Array(cfg.batchSize * imageBytes(cfg.imageSize));
  const t = performance.now();
  for (let i = 0; i < batches; i++) {
    const r = run.batches.next(out);
    if (r instanceof Promise) await r;
  }
  const sec = (performance.now() - t) / 1000;
  run.dispose();
  return (batches * cfg.batchSize) / sec;
}

/** Peak ArrayBuffer bytes added (after full GCs) over `steps` steps of a fresh load of `id`, and the bytes held by count. */
async function memoryPass(id: string, cfg: Config, window: number, steps: number) {
  const before = liveBytes();
  const data = await loadDataset(id, { seed: cfg.seed, window });
  const run = new TrainingRun(cfg, data);
  let peak = liveBytes() - before;
  for (let s = 0; s < steps; s += 2) {
    await run.trainSteps(2);
    peak = Math.max(peak, liveBytes() - before);
  }
  const b = run.batches;
  const r = { streamed: isStreamed(data.train), peakAddedMiB: peak / MiB, heldMiB: heldBytes(data, run) / MiB, peakChunks: b instanceof StreamBatches ? b.stats.peakChunks : null };
  run.dispose();
  return r;
}

export default async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  disposeStepCaches();
  await tf.setBackend('cpu');
  const q = opts.quick;
  const sizes = q ? [1000, 5000] : [1000, 5000, 20000];
  const cfg = validate({ backend: 'cpu', batchSize: 8, logEvery: 50, embedEvery: 100_000 }, 'tiny');
  // Throughput: the store streams with windows of 2 chunks (opened with window 1, raised to minWindow for
  // the batch), harsher than the app's 8. Each timed round starts SKIP batches in (drawn, not trained), a
  // few steps before the first window change, so the timed steps include one.
  const THR_WINDOW = 1, SKIP = (2 * 256) / cfg.batchSize - 3;
  const steps = q ? 6 : 8, rounds = q ? 1 : 2;
  const rows: Record<string, unknown>[] = [];
  console.log(
    `[store vs memory · cpu] tiny preset, batch ${cfg.batchSize}, ${cfg.imageSize}px; throughput: ${steps} steps across a window change × ${rounds} alternating round pair(s), the store streaming with windows of 2 chunks; ` +
      `memory: the app's window of ${STREAM_WINDOW} chunks (cache bound ${(cacheBound(cfg.imageSize, 256) / MiB).toFixed(0)} MiB at ${cfg.imageSize}px, ${(cacheBound(64, 256) / MiB).toFixed(0)} MiB at 64px)`,
  );
  useDatabase(`bench-stream-${Date.now()}`);
  // A discarded pass first: tfjs's backend and the store settle their own allocations before anything is measured.
  await storeImages('bench-warm', 300, 32);
  await memoryPass('bench-warm', cfg, 1e9, 2);
  for (const n of sizes) {
    const id = `bench-${n}`;
    await storeImages(id, n, 32);
    const mem = await memoryPass(id, cfg, 1e9, 6);
    const app = await memoryPass(id, cfg, STREAM_WINDOW, 6);
    const datasets = { memory: await loadDataset(id, { seed: cfg.seed, window: 1e9 }), store: await loadDataset(id, { seed: cfg.seed, window: THR_WINDOW }) };
    const feed = { memory: await feedRate(datasets.memory, cfg, 2000), store: await feedRate(datasets.store, cfg, 2000) };
    const ips: Record<'memory' | 'store', number[]> = { memory: [], store: [] };
    const ratios: number[] = [];
    let stalls = 0, peakChunks = 0;
    for (let r = 0; r < 2 * rounds; r++) {
      const round: Record<string, number> = {};
      for (const mode of r % 2 ? (['store', 'memory'] as const) : (['memory', 'store'] as const)) {
        const run = new TrainingRun(cfg, datasets[mode]);
        await run.trainSteps(1); // kernels warm, the first window read
        const skip = new Uint8Array(cfg.batchSize * imageBytes(cfg.imageSize));
        for (let k = 0; k < SKIP; k++) {
          const b = run.batches.next(skip);
          if (b instanceof Promise) await b;
        }
        const t = performance.now();
        await run.trainSteps(steps);
        round[mode] = (steps * cfg.batchSize) / ((performance.now() - t) / 1000);
        ips[mode].push(round[mode]);
        const b = run.batches;
        if (b instanceof StreamBatches) (stalls += b.stats.stalls - 1), (peakChunks = Math.max(peakChunks, b.stats.peakChunks)); // the first wait is before the clock
        run.dispose();
      }
      ratios.push(round.store / round.memory);
    }
    const row = {
      images: n,
      load: load(),
      imagesPerSec: { memory: median(ips.memory), store: median(ips.store) },
      storeOverMemory: median(ratios),
      ratios,
      feedImagesPerSec: feed,
      storeWaitsAfterFirst: stalls,
      storePeakChunks: peakChunks,
      memory: { inMemory: mem, appStore: app },
    };
    rows.push(row);
    console.log(
      `[store vs memory · cpu] ${n} images: training ${row.imagesPerSec.memory.toFixed(1)} images/s from memory, ${row.imagesPerSec.store.toFixed(1)} from the store, ` +
        `store ÷ memory ${row.storeOverMemory.toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(3)).join(', ')}; ${stalls} batches waited for a read, ≤ ${peakChunks} chunks held); ` +
        `batch feed alone ${(feed.memory / 1000).toFixed(0)}k vs ${(feed.store / 1000).toFixed(0)}k images/s; ` +
        `trainer holds ${mem.heldMiB.toFixed(1)} MiB in memory vs ${app.heldMiB.toFixed(1)} MiB from the store${app.streamed ? ` (streamed, ≤ ${app.peakChunks} chunks)` : ' (fits the cache: loaded whole)'}, ` +
        `ArrayBuffers peak +${mem.peakAddedMiB.toFixed(1)} vs +${app.peakAddedMiB.toFixed(1)} MiB · load average ${row.load}`,
    );
  }
  return { storeVsMemory: { preset: 'tiny', batch: cfg.batchSize, imageSize: cfg.imageSize, steps, rounds, throughputWindow: 2, appWindow: STREAM_WINDOW, cacheBoundBytes: cacheBound(cfg.imageSize, 256), rows } };
}

if (process.argv[1]?.endsWith('stream.ts') && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench({ quick: process.argv.includes('--quick') })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
