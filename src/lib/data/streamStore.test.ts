import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { TrainingRun } from '../train/loop';
import { encodeImages, evalTrainIndices, probeIndices } from '../train/heldout';
import type { MetricPoint } from '../train/types';
import { gather, imageBytes } from './dataset';
import { CHUNK_IMAGES, DatasetWriter, loadDataset, useDatabase } from './store';
import { RESIDENT_TEST, RESIDENT_TRAIN, StreamBatches, isStreamed } from './stream';

let n = 0;
beforeEach(() => useDatabase(`stream-${n++}`));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function img(i: number, size: number): Uint8Array {
  const a = new Uint8Array(imageBytes(size));
  for (let k = 0; k < a.length; k++) a[k] = (i * 31 + k * 7) & 255;
  return a;
}

async function write(id: string, train: number, test: number, size: number, classes = ['a', 'b', 'c']): Promise<void> {
  const w = new DatasetWriter({ id, name: id, source: 'folder', size, classNames: classes });
  for (let i = 0; i < train; i++) await w.add('train', img(i, size), i % classes.length);
  for (let i = 0; i < test; i++) await w.add('test', img(100_000 + i, size), (i * 2) % classes.length);
  await w.finish([]);
}

describe('loadDataset streams splits larger than the cache', () => {
  it('keeps every label and a seeded resident sample whose pixels are the stored ones; chunks read the rest', async () => {
    const train = 4 * CHUNK_IMAGES + 300, test = RESIDENT_TEST + 100;
    await write('big', train, test, 4);
    const whole = await loadDataset('big', { window: 100 }); // the cache holds it all: loaded whole, as before streaming
    expect(isStreamed(whole.train)).toBe(false);
    expect(whole.train.resident).toBeUndefined();
    const d = await loadDataset('big', { seed: 3, window: 1 });
    expect(isStreamed(d.train)).toBe(true);
    expect(d.train.count).toBe(train);
    expect(d.train.labels).toEqual(whole.train.labels);
    expect(d.train.resident!.length).toBe(RESIDENT_TRAIN);
    expect(d.train.pixels.length).toBe(RESIDENT_TRAIN * imageBytes(4));
    const some = d.train.resident!.slice(0, 50);
    expect(gather(d.train, some)).toEqual(gather(whole.train, some));
    const per = imageBytes(4);
    expect(await d.train.chunks!.read(2)).toEqual(whole.train.pixels.slice(2 * CHUNK_IMAGES * per, 3 * CHUNK_IMAGES * per));
    // the held-out split beyond RESIDENT_TEST keeps that many; evaluation and the probe set draw from them
    expect(d.test.resident!.length).toBe(RESIDENT_TEST);
    expect(d.test.labels).toEqual(whole.test.labels);
    const probe = probeIndices(d, 500, 3);
    expect(gather(d.test, probe)).toEqual(gather(whole.test, probe));
    const evalTrain = evalTrainIndices(d, 3);
    expect(evalTrain.length).toBe(RESIDENT_TRAIN);
    expect(gather(d.train, evalTrain)).toEqual(gather(whole.train, evalTrain));
    // the sample follows the seed
    expect((await loadDataset('big', { seed: 3, window: 1 })).train.resident).toEqual(d.train.resident);
    expect((await loadDataset('big', { seed: 4, window: 1 })).train.resident).not.toEqual(d.train.resident);
  });

  it('loads a small dataset whole with the default window, exactly as before', async () => {
    await write('small', 300, 40, 4);
    const d = await loadDataset('small', { seed: 1 });
    expect(isStreamed(d.train)).toBe(false);
    expect(d.test.resident).toBeUndefined();
    expect(gather(d.train, [0, 299])).toEqual(new Uint8Array([...img(0, 4), ...img(299, 4)]));
  });
});

describe('TrainingRun on a streamed dataset (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { probeSize: 32, logEvery: 1, embedEvery: 1000 });

  it('trains from the chunks, evaluates on the resident samples, and a resumed checkpoint continues the same batches', async () => {
    await write('run', 3 * CHUNK_IMAGES + 20, 60, 32);
    const data = await loadDataset('run', { seed: cfg.seed, window: 1 });
    expect(isStreamed(data.train)).toBe(true);
    const a: MetricPoint[] = [];
    const r1 = new TrainingRun(cfg, data, { onMetrics: (p) => a.push(...p) });
    expect(r1.batches).toBeInstanceOf(StreamBatches);
    await r1.trainSteps(1);
    const ck = await r1.checkpoint();
    expect((ck.meta.sampler as { kind?: string }).kind).toBe('stream');
    await r1.trainSteps(2);
    // evaluation encodes resident images of both splits (the full three-way evaluation is heldout.test.ts's)
    expect(r1.probeSet.length).toBe(32);
    const f = await encodeImages(r1, 'train', evalTrainIndices(data, cfg.seed).slice(0, 8));
    expect(f.length).toBe(8 * cfg.nRkhs);
    expect(f.every(Number.isFinite)).toBe(true);
    expect((await encodeImages(r1, 'test', r1.probeSet)).length).toBe(32 * cfg.nRkhs);

    const b: MetricPoint[] = [];
    const r2 = new TrainingRun(cfg, data, { onMetrics: (p) => b.push(...p) });
    r2.restore(JSON.parse(JSON.stringify(ck.meta)), ck.tensors);
    await r2.trainSteps(2);
    // the same batches and augmentations give the same losses, step for step
    expect(b.length).toBe(2);
    expect(b.map((p) => p.total)).toEqual(a.slice(1).map((p) => p.total));
    expect(r2.batches.state).toEqual(r1.batches.state);
    expect((r1.batches as StreamBatches).stats.peakChunks).toBeLessThanOrEqual(2 * (r1.batches as StreamBatches).window);
    r1.dispose();
    r2.dispose();
  }, 240_000);
});
