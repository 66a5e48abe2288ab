import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset, type Config } from '../config';
import { LADDER, type Choice } from './calibrate';
import type { chooseForDevice } from './measure';
import { TrainSession } from './session';
import type { TrainEvent } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 1, embedEvery: 1000 });

/** A measurement that times a run made by the session (`makeRun`) for three steps and hands it over. */
const measuring: typeof chooseForDevice = async (c, _data, auto, _store, onProgress, makeRun) => {
  onProgress?.('measuring cpu tiny', 0, 1);
  const config: Config = { ...c, ...(auto.backend ? { backend: 'cpu' as const } : {}) };
  const run = makeRun!(config);
  const fresh = await run.checkpoint();
  await run.trainSteps(3);
  const choice: Choice = { backend: 'cpu', adapter: 'test', software: false, rung: LADDER[0], stepsPerSec: 5, summary: 'tiny model, ~5.0 steps/s on this CPU', details: [], measurements: [{ backend: 'cpu', rung: 'tiny', stepsPerSec: 5, warmMs: 10 }] };
  return { choice, config, cached: false, measured: { run, backend: 'cpu', rung: 'tiny', fresh } };
};

function harness(chooser?: typeof chooseForDevice) {
  const events: TrainEvent[] = [];
  const asked: { auto: unknown }[] = [];
  // A fake measurement: it chooses ndf 6 on the cpu backend (a size no preset has, so the test sees it was applied).
  const choose: typeof chooseForDevice = async (c, _data, auto, _store, onProgress) => {
    asked.push({ auto });
    onProgress?.('measuring cpu tiny', 0, 1);
    const choice: Choice = { backend: 'cpu', adapter: 'test', software: false, rung: LADDER[0], stepsPerSec: 5, summary: 'tiny model, ~5.0 steps/s on this CPU', details: [], measurements: [{ backend: 'cpu', rung: 'tiny', stepsPerSec: 5, warmMs: 10 }] };
    const config: Config = { ...c, ...(auto.size ? { ndf: 6 } : {}), ...(auto.backend ? { backend: 'cpu' as const } : {}) };
    return { choice, config, cached: false };
  };
  const session: TrainSession = new TrainSession({
    emit: (e) => events.push(e),
    checkpoints: { load: async () => undefined, save: async () => {} },
    loadDataset: () => Promise.reject(new Error('embedded only')),
    device: { select: async () => ({ name: 'cpu', adapter: 'test', notes: [] }), rebuild: async () => ({ name: 'cpu', adapter: 'test', notes: [] }), onLost: () => {}, lose: () => false },
    choose: chooser ?? choose,
  });
  return { session, events, asked };
}

const until = async (ok: () => boolean, ms = 120_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('TrainSession with device measurement', { timeout: 240_000 }, () => {
  it('applies the measured choice, reports each phase of getting ready, then evaluates once', async () => {
    const h = harness();
    await h.session.init(1, cfg, 'k', false, { size: true, backend: true });
    await h.session.idle();
    const cal = h.events.find((e) => e.type === 'calibrated');
    expect(cal && cal.type === 'calibrated' && cal.choice.summary).toBe('tiny model, ~5.0 steps/s on this CPU');
    expect(h.session.run!.cfg.ndf).toBe(6);
    const phases = h.events.flatMap((e) => (e.type === 'state' && e.progress ? [e.progress.done] : []));
    expect([...new Set(phases)]).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < phases.length; i++) expect(phases[i]).toBeGreaterThanOrEqual(phases[i - 1]);
    const last = h.events.filter((e) => e.type === 'state').at(-1)!;
    expect(last.type === 'state' && last.progress).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'eval')).toHaveLength(1);
    h.session.dispose();
  });

  it('a link that fixes size and backend skips the measurement', async () => {
    const h = harness();
    await h.session.init(1, cfg, 'k', false, { size: false, backend: false });
    await h.session.idle();
    expect(h.asked).toHaveLength(0);
    expect(h.session.run!.cfg.ndf).toBe(cfg.ndf);
    h.session.dispose();
  });

  it('Train pressed while getting ready is accepted and starts when the warm-up ends, without the first evaluation', async () => {
    const h = harness();
    const ready = h.session.init(2, cfg, 'k', false, { size: true, backend: true });
    expect(h.session.start(2)).toBe(true); // still loading: remembered
    await ready;
    await until(() => h.session.step >= 2);
    h.session.pause();
    await until(() => h.session.state === 'paused');
    const firstMetrics = h.events.findIndex((e) => e.type === 'metrics');
    expect(firstMetrics).toBeGreaterThan(0);
    expect(h.events.slice(0, firstMetrics).some((e) => e.type === 'eval')).toBe(false);
    h.session.dispose();
  });

  it('Train pressed during the measurement: the timed steps are the first training steps, with no warm-up step', async () => {
    const h = harness(measuring);
    const ready = h.session.init(3, cfg, 'k', false, { size: true, backend: true });
    expect(h.session.start(3)).toBe(true);
    await ready;
    // The page learns of the measured steps at once: their curve (history) and the step counter.
    const hist = h.events.find((e) => e.type === 'history');
    expect(hist && hist.type === 'history' && hist.points.map((p) => p.step)).toEqual(h.session.run!.history.slice(0, 3).map((p) => p.step));
    const readyState = h.events.filter((e) => e.type === 'state').at(-1)!;
    expect(readyState.type === 'state' && readyState.step).toBe(3);
    await until(() => h.session.step >= 5);
    h.session.pause();
    await until(() => h.session.state === 'paused');
    // No throwaway warm-up step (the kernels were compiled by the measurement) and no step-0 evaluation.
    expect(h.events.some((e) => e.type === 'state' && /warming up/.test(e.message ?? ''))).toBe(false);
    expect(h.events.flatMap((e) => (e.type === 'state' && e.progress ? [e.progress.done] : []))).not.toContain(2);
    // Steps continue from the measured ones: 1, 2, 3 timed, then 4, 5, … trained, each once.
    const steps = h.session.run!.history.map((p) => p.step);
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    h.session.dispose();
  });

  it('Train not pressed: the measured run is put back at step 0 and trains exactly like a fresh one', async () => {
    const h = harness(measuring);
    await h.session.init(4, cfg, 'k', false, { size: true, backend: true });
    await h.session.idle();
    expect(h.session.step).toBe(0);
    expect(h.events.some((e) => e.type === 'history')).toBe(false);
    const a = harness();
    await a.session.init(5, { ...cfg, ndf: 8 }, 'k', false, { size: false, backend: false });
    await a.session.idle();
    for (const x of [h, a]) {
      x.session.start(x.session.runId, 2);
      await until(() => x.session.step >= 2 && x.session.state !== 'training');
    }
    expect(h.session.run!.history.map((p) => p.total)).toEqual(a.session.run!.history.map((p) => p.total));
    h.session.dispose();
    a.session.dispose();
  });
});
