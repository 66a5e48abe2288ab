import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { makeEmbeddedDataset } from '../data/synthetic';
import type { MetricPoint } from './types';
import { TrainingRun } from './loop';
import type { Checkpoint } from './checkpoint';
import { straightAndResumed } from './testRuns';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkpoints of a TrainingRun (tiny preset, CPU backend)', () => {
  const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 3 });
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });

  it('restores a checkpoint saved before issue 13 with its curves relabelled', async () => {
    const first = new TrainingRun(cfg, data);
    await first.trainSteps(2);
    await first.evaluate();
    const ck = structuredClone(await first.checkpoint());
    first.dispose();
    // What such a checkpoint held: the NCE estimate as mi*, no bound, the online probe as "linear".
    const legacy = ck.meta.history.map(({ nceEst1t5, nceEst1t7, nceEst5t5, bound1t5, bound1t7, bound5t5, ...rest }) => ({ ...rest, mi1t5: nceEst1t5, mi1t7: nceEst1t7, mi5t5: nceEst5t5 }));
    const legacyEvals = ck.meta.evalHistory.map((e) => ({ step: e.step, linear: e.probeOnline, knn: e.knnTrained, linearRandom: e.linRandom, knnRandom: e.knnRandom }));
    const b = new TrainingRun(cfg, data);
    b.restore({ ...ck.meta, history: legacy as unknown as MetricPoint[], evalHistory: legacyEvals as unknown as typeof ck.meta.evalHistory }, ck.tensors);
    expect(b.history.map((p) => p.nceEst1t7)).toEqual(ck.meta.history.map((p) => p.nceEst1t7));
    expect(b.history.every((p) => Number.isNaN(p.bound1t7))).toBe(true);
    expect(Object.keys(b.history[0]).some((k) => k.startsWith('mi'))).toBe(false);
    expect(b.evalHistory[0].probeOnline).toBe(ck.meta.evalHistory[0].probeOnline);
    expect(b.evalHistory[0].knnTrained).toBe(ck.meta.evalHistory[0].knnTrained);
    expect(Number.isNaN(b.evalHistory[0].linPixels)).toBe(true);
    b.dispose();
  }, 300_000);

  it('a run restored from a checkpoint continues exactly like the uninterrupted run', async () => {
    const { straight, resumed } = await straightAndResumed(cfg, data, 3, 6, {
      restored: (b) => {
        expect(b.step).toBe(3);
        expect(b.history.map((p) => p.step)).toEqual([1, 2, 3]);
      },
    });
    expect(resumed.map((p) => p.step)).toEqual([4, 5, 6]);
    for (let i = 0; i < 3; i++) expect(resumed[i].total).toBeCloseTo(straight[3 + i].total, 5);
  });

  it('restores a version-1 checkpoint (one Adam moment per variable) into the flat Adam', async () => {
    let before = 0;
    const old: Checkpoint['tensors'] = {};
    const { straight, resumed } = await straightAndResumed(cfg, data, 2, 4, {
      alter: (ck, first) => {
        // Write it the way the per-variable Adam did: m of each variable, then v, then t.
        for (const [k, t] of Object.entries(ck.tensors)) if (!k.startsWith('adam/') && !k.startsWith('probe-adam/')) old[k] = t;
        for (const [prefix, vars] of [['adam', first.model.encoder.trainable], ['probe-adam', first.model.probe.trainable]] as const) {
          let i = 0;
          for (const which of [0, 1]) {
            let o = 0;
            for (const v of vars) {
              old[`${prefix}/${i++}`] = { shape: v.shape.slice(), data: ck.tensors[`${prefix}/${which}`].data.slice(o, o + v.size) };
              o += v.size;
            }
          }
          old[`${prefix}/${i}`] = ck.tensors[`${prefix}/2`];
        }
        before = Object.keys(old).length;
        return { meta: { ...ck.meta, version: 1 }, tensors: old };
      },
    });
    expect(Object.keys(old).length).toBe(before); // the caller's copy is left alone
    for (let i = 0; i < 2; i++) expect(resumed[i].total).toBeCloseTo(straight[2 + i].total, 5);
  });

  it('refuses a checkpoint of a different model shape, naming the tensor', async () => {
    const small = new TrainingRun(cfg, data);
    const ck = await small.checkpoint();
    small.dispose();
    const wide = new TrainingRun({ ...cfg, ndf: 12 }, data);
    expect(() => wide.restore(ck.meta, ck.tensors)).toThrow(/expected \[.*\], got \[/);
    wide.dispose();
  });
});
