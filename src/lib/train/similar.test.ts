import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { imageBytes, relabel } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import { rngFor } from '../rng';
import { TrainingRun } from './loop';
import { encodeImages, nClassesOf } from './heldout';
import { PhotoSearch, searchSet } from './similar';
import { createTrainer } from './step';
import { refreshForEval } from './bnrefresh';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = preset('tiny', { trainCount: 24, testCount: 16, probeSize: 16 });
const base = relabel(makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 }), 'none');
// training photo 7 is an exact copy of held-out photo 3
const per = imageBytes(32);
base.train.pixels.set(base.test.pixels.subarray(3 * per, 4 * per), 7 * per);

/** The slow, obvious reference: encode each photo on its own, cosine against the query, sort. */
async function reference(run: TrainingRun, encoder: Parameters<typeof encodeImages>[3], q: number) {
  const one = async (split: 'train' | 'test', i: number) => {
    const f = await encodeImages(run, split, Int32Array.of(i), encoder);
    const norm = Math.hypot(...f);
    return Array.from(f, (v) => v / norm);
  };
  const qv = await one('test', q);
  const all: { split: 'train' | 'test'; index: number; similarity: number }[] = [];
  for (const split of ['test', 'train'] as const)
    for (let i = 0; i < run.data[split].count; i++) {
      if (split === 'test' && i === q) continue;
      const v = await one(split, i);
      all.push({ split, index: i, similarity: v.reduce((s, x, d) => s + x * qv[d], 0) });
    }
  return all.sort((a, b) => b.similarity - a.similarity);
}

describe('more like this', () => {
  it('finds the same nearest photos as encoding each one alone (trained and random encoders)', async () => {
    const run = new TrainingRun(cfg, base);
    await run.trainSteps(2);
    const search = new PhotoSearch(run);
    expect(search.searched).toBe(40);
    const got = await search.similar('trained', 5, 6);
    expect([got.searched, got.total]).toEqual([40, 40]);
    const want = (await reference(run, undefined, 5)).slice(0, 6);
    expect(got.items.map((i) => `${i.split}${i.index}`)).toEqual(want.map((i) => `${i.split}${i.index}`));
    got.items.forEach((it, k) => expect(it.similarity).toBeCloseTo(want[k].similarity, 4));
    expect(got.pixels.length).toBe(6 * per);
    expect(Array.from(got.pixels.subarray(0, per))).toEqual(Array.from(run.data[got.items[0].split].pixels.subarray(got.items[0].index * per, (got.items[0].index + 1) * per)));

    const rand = createTrainer(cfg, nClassesOf(base), rngFor(cfg.seed, 'random-baseline'));
    refreshForEval(run, rand); // BatchNorm statistics re-estimated as the evaluation's baseline (bnrefresh.ts)
    const gotR = await search.similar('random', 5, 4);
    const wantR = (await reference(run, rand, 5)).slice(0, 4);
    expect(gotR.items.map((i) => `${i.split}${i.index}`)).toEqual(wantR.map((i) => `${i.split}${i.index}`));
    // the map's random-encoder features are that encoder's
    const probeR = await search.randomProbeFeatures();
    expect(Array.from(probeR.subarray(0, 8))).toEqual(Array.from((await encodeImages(run, 'test', run.probeSet, rand)).subarray(0, 8)));
    rand.dispose();
    run.dispose();
  });

  it('raw pixels put an exact duplicate first, with similarity 1', async () => {
    const run = new TrainingRun(cfg, base);
    const r = await new PhotoSearch(run).similar('pixels', 3, 3);
    expect(r.items[0]).toMatchObject({ split: 'train', index: 7 });
    expect(r.items[0].similarity).toBeCloseTo(1, 5);
    expect(r.items[1].similarity).toBeLessThan(0.999);
    await expect(new PhotoSearch(run).similar('pixels', 99, 3)).rejects.toThrow(/does not exist/);
    run.dispose();
  });

  it('beyond the cap, searches the photos on the map plus an even spread of the rest', () => {
    const d = { train: { count: 1000 }, test: { count: 200 } } as never;
    const refs = searchSet(d, [5, 150], 100);
    expect(refs.length).toBeLessThanOrEqual(100);
    expect(refs.slice(0, 2)).toEqual([{ split: 'test', index: 5 }, { split: 'test', index: 150 }]);
    expect(new Set(refs.map((r) => `${r.split}${r.index}`)).size).toBe(refs.length);
    expect(refs.filter((r) => r.split === 'train').length).toBeGreaterThan(70);
    expect(searchSet(d, [], 5000)).toHaveLength(1200);
  });

  it('of a streamed dataset, searches the resident samples of both splits (the images in memory)', () => {
    const d = { train: { count: 20_000, resident: Int32Array.from([3, 70, 19_000]) }, test: { count: 3000, resident: Int32Array.from([1, 2999]) } } as never;
    expect(searchSet(d, [1], 100)).toEqual([
      { split: 'test', index: 1 }, { split: 'test', index: 2999 },
      { split: 'train', index: 3 }, { split: 'train', index: 70 }, { split: 'train', index: 19_000 },
    ]);
  });
});
