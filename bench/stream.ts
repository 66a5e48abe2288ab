/**
 * Training from the store against training from memory (issue 14), in Node on the tfjs CPU backend with
 * the real store code (DatasetWriter, loadDataset) over fake-indexeddb and the real loop (TrainingRun).
 * For 1,000 / 5,000 / 20,000 generated 32 px images: training images/s from the store and from memory, in
 * alternating rounds (memory, store, memory, store…) so a noisy neighbour slows both alike, their ratio
 * per round (median), the bare batch feed rate of each (no training step), and the memory each holds.
 * A split whose chunks fit the cache (2 × STREAM_WINDOW chunks, 4,096 images) is loaded whole, as the app
 * does: its "store" row is then the in-memory path, and a forced stream (window 1) is measured too.
 *
 * Memory: fake-indexeddb keeps its database in this process, so the process's size grows with the dataset
 * whatever the trainer does. What is reported is what the trainer adds on top: ArrayBuffer bytes alive
 * (after a full GC) at the peak of a run, minus those alive before the dataset was loaded, and the bytes
 * the trainer's dataset and cache hold by count. Run alone: `npx tsx bench/stream.ts [--quick]`.
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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

interface ModeResult {
  imagesPerSec: number[];
  feedImagesPerSec: number;
  peakAddedMiB: number;
  heldMiB: number;
  streamed: boolean;
  peakChunks: number | null;
  stalls: number | null;
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

export default async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  disposeStepCaches();
  await tf.setBackend('cpu');
  const q = opts.quick;
  const sizes = q ? [1000, 5000] : [1000, 5000, 20000];
  // batch 32: a window of 8 chunks (2,048 images) lasts 64 steps, so a timed round crosses windows.
  const cfg = validate({ backend: 'cpu', batchSize: 32, logEvery: 50, embedEvery: 1_000_000 }, 'tiny');
  const steps = q ? 40 : 100, rounds = q ? 2 : 3;
  const rows: Record<string, unknown>[] = [];
  console.log(`[store vs memory · cpu] tiny preset, batch ${cfg.batchSize}, ${cfg.imageSize}px, ${steps} steps × ${rounds} alternating rounds; cache bound ${(cacheBound(cfg.imageSize, 256) / MiB).toFixed(0)} MiB (2 × ${STREAM_WINDOW} chunks of 256 images)`);
  useDatabase(`bench-stream-${Date.now()}`);
  for (const n of sizes) {
    const id = `bench-${n}`;
    await storeImages(id, n, 32);
    const modes: [string, { window?: number }][] = [['memory', { window: 1e9 }], ['store', {}]];
    if (n <= 2 * STREAM_WINDOW * 256) modes.push(['store (forced stream)', { window: 1 }]);
    const res: Record<string, ModeResult> = {};
    const datasets: Record<string, Dataset> = {};
    for (const [mode, o] of modes) {
      gc();
      const before = process.memoryUsage().arrayBuffers;
      const data = await loadDataset(id, { seed: cfg.seed, ...o });
      datasets[mode] = data;
      // Memory: one untimed run sampled after a full GC every 8 steps (the timed rounds run without GCs).
      const run = new TrainingRun(cfg, data);
      let peak = 0;
      for (let s = 0; s < steps; s += 8) {
        await run.trainSteps(8);
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      }
      const b = run.batches;
      res[mode] = {
        imagesPerSec: [],
        feedImagesPerSec: await feedRate(data, cfg, q ? 200 : 1000),
        peakAddedMiB: peak / MiB,
        heldMiB: heldBytes(data, run) / MiB,
        streamed: isStreamed(data.train),
        peakChunks: b instanceof StreamBatches ? b.stats.peakChunks : null,
        stalls: b instanceof StreamBatches ? b.stats.stalls : null,
      };
      run.dispose();
    }
    // Throughput: alternating rounds, each a fresh run (a stream starts with an empty cache: its first read is counted).
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const round: Record<string, number> = {};
      for (const [mode] of r % 2 ? [...modes].reverse() : modes) {
        const run = new TrainingRun(cfg, datasets[mode]);
        await run.trainSteps(2); // kernels warm, the first window read
        const t = performance.now();
        await run.trainSteps(steps);
        round[mode] = (steps * cfg.batchSize) / ((performance.now() - t) / 1000);
        res[mode].imagesPerSec.push(round[mode]);
        run.dispose();
      }
      ratios.push(round.store / round.memory);
    }
    const row = {
      images: n,
      load: load(),
      storeOverMemory: median(ratios),
      ...Object.fromEntries(Object.entries(res).map(([m, v]) => [m, { ...v, imagesPerSecMedian: median(v.imagesPerSec) }])),
    };
    rows.push(row);
    const fmt = (m: string) => {
      const v = res[m];
      return `${m} ${median(v.imagesPerSec).toFixed(1)} images/s (feed alone ${(v.feedImagesPerSec / 1000).toFixed(0)}k images/s), holds ${v.heldMiB.toFixed(1)} MiB, peak +${v.peakAddedMiB.toFixed(1)} MiB${v.streamed ? ` [streamed: ≤ ${v.peakChunks} chunks held, ${v.stalls} waits]` : ' [in memory]'}`;
    };
    console.log(`[store vs memory · cpu] ${n} images: ${modes.map(([m]) => fmt(m)).join('; ')}; store ÷ memory ${median(ratios).toFixed(3)} (median of ${rounds} rounds) · load average ${row.load}`);
  }
  return { storeVsMemory: { preset: 'tiny', batch: cfg.batchSize, imageSize: cfg.imageSize, steps, rounds, cacheBoundBytes: cacheBound(cfg.imageSize, 256), rows } };
}

if (process.argv[1]?.endsWith('stream.ts') && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench({ quick: process.argv.includes('--quick') })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
