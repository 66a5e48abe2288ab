import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { TrainSession, type Device } from './session';
import type { TrainEvent } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const device: Device = {
  select: async () => ({ name: 'cpu', adapter: 'test', notes: [] }),
  rebuild: async () => ({ name: 'cpu', adapter: 'test', notes: [] }),
  onLost: () => {},
  lose: () => false,
};

// The CPU backend once answered the preview with two views over one buffer, and postMessage refused the
// transfer list ("ArrayBuffer at index 1 is a duplicate"). structuredClone applies the same rules.
describe('augmentation preview on the CPU backend', { timeout: 240_000 }, () => {
  it('sends pairs whose buffers can be transferred, and B pairs of the same images', async () => {
    const sent: { e: TrainEvent; transfer: Transferable[] }[] = [];
    const session = new TrainSession({
      emit: (e, transfer = []) => sent.push({ e, transfer }),
      checkpoints: { load: async () => undefined, save: async () => {} },
      loadDataset: () => Promise.reject(new Error('embedded only')),
      clock: () => 0,
      device,
    });
    const cfg = preset('tiny', { trainCount: 32, testCount: 32, probeSize: 16, embedEvery: 1000 });
    await session.init(1, cfg, 'run-preview', false);
    const none = { flipP: 0, crop: 'none', jitterP: 0, grayP: 0 } as const;
    await session.preview(1, 4, {}, none, 'compare');
    const msg = sent.find((s) => s.e.type === 'preview')!;
    expect(msg).toBeDefined();
    const p = msg.e as Extract<TrainEvent, { type: 'preview' }>;
    expect(p.key).toBe('compare');
    const per = cfg.imageSize * cfg.imageSize * 3;
    expect(p.a.length).toBe(4 * per);
    expect(new Set(msg.transfer).size).toBe(msg.transfer.length);
    expect(msg.transfer.length).toBe(4);
    // what the page receives (the transfer detaches the session's copies)
    const got = structuredClone(p, { transfer: msg.transfer });
    // B's recipe here is no augmentation at all: its two views are the same image
    const o = got.other!;
    expect(Array.from(o.a)).toEqual(Array.from(o.b));
    // …while A's (the AMDIM recipe) are not
    expect(Array.from(got.a)).not.toEqual(Array.from(got.b));
    session.dispose();
  });
});
