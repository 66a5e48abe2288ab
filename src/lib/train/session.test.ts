import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset, type Config } from '../config';
import { TrainSession, type CheckpointStore, type Device } from './session';
import type { MetricPoint, NamedTensor, TrainEvent } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Tiny and short: every step costs about a second on a loaded CPU. No evaluation inside the runs.
const cfg = preset('tiny', { trainCount: 64, testCount: 48, probeSize: 32, logEvery: 1, embedEvery: 1000, checkpointSec: 5 });
/** Fake milliseconds each training step takes: with checkpointSec 5 a checkpoint falls due every third step. */
const STEP_MS = 2000;

/** A device whose loss the test triggers; it stays on tfjs's CPU backend. */
class FakeDevice implements Device {
  rebuilds = 0;
  #lost: ((reason: string) => void) | null = null;
  async select() {
    return { name: 'fake', adapter: 'test device', notes: [] };
  }
  async rebuild() {
    this.rebuilds++;
    return { name: 'fake', adapter: 'rebuilt test device', notes: [] };
  }
  onLost(cb: (reason: string) => void) {
    this.#lost = cb;
  }
  lose() {
    const cb = this.#lost;
    this.#lost = null;
    // Like GPUDevice.lost: the promise settles after the call that destroyed the device returns.
    if (cb) queueMicrotask(() => cb('destroyed'));
    return true;
  }
}

function harness(config: Config = cfg, onEvent: (e: TrainEvent, s: TrainSession) => void = () => {}) {
  const events: TrainEvent[] = [];
  const saved = new Map<string, { meta: object; tensors: Record<string, NamedTensor> }>();
  const savedSteps: number[] = [];
  const store: CheckpointStore = {
    load: async (key) => structuredClone(saved.get(key)),
    save: async (key, meta, tensors) => {
      saved.set(key, structuredClone({ meta, tensors })); // as IndexedDB would
      savedSteps.push((meta as { step: number }).step);
    },
  };
  let now = 0;
  const device = new FakeDevice();
  const session: TrainSession = new TrainSession({
    emit: (e) => {
      events.push(e);
      // Each training state report stands for STEP_MS of training.
      if (e.type === 'state' && e.state === 'training' && e.step > 0) now += STEP_MS;
      onEvent(e, session);
    },
    checkpoints: store,
    loadDataset: () => Promise.reject(new Error('only the embedded dataset is used here')),
    clock: () => now,
    device,
  });
  const settled = async (states: string[], timeoutMs = 120_000) => {
    const t0 = Date.now();
    while (!states.includes(session.state) || session.state === 'training') {
      if (Date.now() - t0 > timeoutMs) throw new Error(`session stayed ${session.state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const metrics = () => events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
  return { session, events, savedSteps, device, settled, metrics, config };
}

const finiteWeights = async (s: TrainSession) => {
  for (const v of s.run!.model.encoder.trainable) if (!(await v.data()).every(Number.isFinite)) return false;
  return true;
};

describe('TrainSession (tiny config, CPU backend, fake clock and store)', { timeout: 240_000 }, () => {
  it('warms up without showing the step, then checkpoints on the clock and at the end', async () => {
    const h = harness({ ...cfg, steps: 7 });
    await h.session.init(1, h.config, 'run-a', false);
    await h.session.idle(); // init resolves when the run is ready; warm-up and first evaluation follow
    expect(h.session.state).toBe('idle');
    expect(h.session.step).toBe(0);
    expect(h.metrics()).toEqual([]); // the warm-up step's metrics are not shown
    const warm = h.events.filter((e) => e.type === 'state' && e.message?.startsWith('warming up'));
    expect(warm.length).toBeGreaterThan(0);
    expect(warm.every((e) => e.type === 'state' && e.step === 0)).toBe(true);
    expect(h.events.some((e) => e.type === 'eval' && e.point.step === 0)).toBe(true);

    expect(h.session.start(1)).toBe(true);
    await h.settled(['done']);
    expect(h.metrics().map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Fake 2 s a step, a checkpoint when more than 5 s passed since the last: steps 3 and 6, then the end.
    expect(h.savedSteps).toEqual([3, 6, 7]);
    expect(h.events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual([3, 6, 7]);
    h.session.dispose();
  });

  it('keeps the first evaluation while training out of the first seconds, then evaluates every interval', async () => {
    // 24 tiny steps train for far less than FIRST_EVAL_SEC: the first evaluation comes after QUIET_INTERVALS (10)
    // intervals; on the fake clock the evaluations cost nothing, so after it every interval is evaluated.
    const h = harness({ ...cfg, embedEvery: 2, steps: 24 });
    await h.session.init(1, h.config, 'run-eval', false);
    await h.session.idle();
    h.session.start(1);
    await h.settled(['done']);
    expect(h.events.flatMap((e) => (e.type === 'eval' ? [e.point.step] : []))).toEqual([0, 20, 22, 24]);
    h.session.dispose();
  });

  it("evalPace 'every' evaluates at every interval from the start", async () => {
    const h = harness({ ...cfg, embedEvery: 2, evalPace: 'every', steps: 6 });
    await h.session.init(1, h.config, 'run-every', false);
    await h.session.idle();
    h.session.start(1);
    await h.settled(['done']);
    expect(h.events.flatMap((e) => (e.type === 'eval' ? [e.point.step] : []))).toEqual([0, 2, 4, 6]);
    // Each evaluation while training is announced just before it (the page clears steps/s and says why the
    // curve stands still), and the next state after it carries no such mark.
    const seq = h.events.flatMap((e) => (e.type === 'eval' ? [`eval ${e.point.step}`] : e.type === 'state' && e.evaluating ? [`announce ${e.step}`] : []));
    expect(seq).toEqual(['eval 0', 'announce 2', 'eval 2', 'announce 4', 'eval 4', 'announce 6', 'eval 6']);
    for (let i = 0; i < h.events.length; i++) {
      const e = h.events[i];
      if (e.type !== 'eval' || e.point.step === 0) continue;
      const next = h.events.slice(i + 1).find((x) => x.type === 'state');
      expect(next && next.type === 'state' && !next.evaluating && !next.message).toBe(true);
    }
    h.session.dispose();
  });

  it('a NaN loss restores the last good checkpoint, names the term and the step, and pauses', async () => {
    let poisoned = false;
    const h = harness(cfg, (e, s) => {
      if (e.type === 'state' && e.state === 'training' && e.step === 3 && !poisoned) {
        poisoned = true;
        s.debug('nan'); // poisons step 4
      }
    });
    await h.session.init(2, h.config, 'run-b', false);
    await h.session.idle(); // warm-up done: Train now starts at once instead of being remembered
    h.session.start(2);
    await h.settled(['paused', 'idle', 'error']);
    expect(h.savedSteps).toEqual([3]);
    const err = h.events.find((e) => e.type === 'error');
    expect(err && err.type === 'error' && err.fatal).toBe(false);
    expect(err && err.type === 'error' && err.message).toMatch(/became NaN or infinite at step 4\. .*checkpoint \(step 3\) was restored/);
    expect(h.session.state).toBe('paused');
    expect(h.session.step).toBe(3);
    expect(await finiteWeights(h.session)).toBe(true);
    // The restored run trains on with finite losses.
    const before = h.metrics().length;
    h.session.start(2, 1);
    await h.settled(['paused']);
    const next = h.metrics().slice(before);
    expect(next.map((p) => p.step)).toEqual([4]);
    expect(Number.isFinite(next[0].total)).toBe(true);
    h.session.dispose();
  });

  it('a device lost while training rebuilds the backend, resumes from the checkpoint and repeats the lost steps exactly', async () => {
    const h = harness({ ...cfg, steps: 7 }, (e, s) => {
      if (e.type === 'state' && e.state === 'training' && e.step === 5 && h.device.rebuilds === 0) s.debug('lose-device');
    });
    await h.session.init(3, h.config, 'run-c', false);
    await h.session.idle(); // warm-up done: Train now starts at once instead of being remembered
    h.session.start(3);
    await h.settled(['done', 'error']);
    expect(h.session.state).toBe('done');
    expect(h.device.rebuilds).toBe(1);
    const notice = h.events.find((e) => e.type === 'notice');
    expect(notice && notice.type === 'notice' && notice.message).toMatch(/device was lost \(destroyed\).*resumed from the checkpoint at step 3/);
    // Like a real GPU, the loss is reported asynchronously: the step already queued (6) still runs.
    const steps = h.metrics().map((p) => p.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 4, 5, 6, 7]);
    // The resumed run repeats steps 4 to 6 with the same batches, augmentations and weights.
    const first = h.metrics().slice(3, 6), again = h.metrics().slice(6, 9);
    for (let i = 0; i < 3; i++) expect(again[i].total).toBeCloseTo(first[i].total, 5);
    h.session.dispose();
  });

  it('a device lost while idle recovers by itself, without a training loop to notice it', async () => {
    const h = harness();
    await h.session.init(4, h.config, 'run-d', false);
    const stepsBefore: MetricPoint[] = h.metrics();
    h.session.debug('lose-device');
    const t0 = Date.now();
    while (!h.events.some((e) => e.type === 'notice') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    await h.settled(['idle']);
    expect(h.device.rebuilds).toBe(1);
    expect(h.events.filter((e) => e.type === 'state').at(-1)).toMatchObject({ state: 'idle', step: 0 });
    expect(h.metrics()).toEqual(stepsBefore);
    expect(h.session.run).not.toBeNull();
    h.session.dispose();
  });

  it('refuses calls for another run id: start says false, requests that answer with data reject', async () => {
    const h = harness();
    await h.session.init(5, h.config, 'run-e', false);
    expect(h.session.start(4)).toBe(false);
    await expect(h.session.exportModel(4)).rejects.toThrow(/run 4 is no longer the current run/);
    expect(() => h.session.importModel(4, {})).toThrow(/no longer the current run/);
    await h.session.idle();
    expect(h.session.state).toBe('idle');
    h.session.dispose();
  });
});
