/// <reference lib="webworker" />
/**
 * The bounds lab worker: a thin switch over lib/info/lab.ts. Points stream back every few steps, and the
 * loop yields to the event loop between chunks so `batch` and `stop` messages are handled mid-run. Each
 * run owns its critics and frees them itself, so a stop or a restart never disposes tensors mid-step.
 */
import type { FromBounds, ToBounds } from '../info/boundsProtocol';
import { BoundsLab } from '../info/lab';
import { selectBackend } from '../train/backend';

declare const self: DedicatedWorkerGlobalScope;

let runId = -1;
let lab: BoundsLab | null = null;
let running: Promise<void> = Promise.resolve();

function post(msg: FromBounds): void {
  self.postMessage(msg);
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function run(msg: Extract<ToBounds, { type: 'start' }>): Promise<void> {
  const id = msg.runId;
  let mine: BoundsLab | null = null;
  try {
    const backend = await selectBackend(msg.backend);
    if (id !== runId) return;
    mine = new BoundsLab(msg.settings);
    lab = mine;
    post({ type: 'ready', runId: id, backend, totalSteps: mine.totalSteps });
    const every = Math.max(1, Math.floor(msg.streamEvery));
    while (id === runId && !mine.done) {
      const points = await mine.run(every);
      if (id !== runId) break;
      post({ type: 'points', runId: id, points });
      await tick();
    }
    post({ type: 'done', runId: id, step: mine.step, stopped: !mine.done });
  } catch (e) {
    console.error(e);
    post({ type: 'error', runId: id, message: e instanceof Error ? e.message : String(e) });
  } finally {
    if (lab === mine) lab = null;
    mine?.dispose();
  }
}

self.onmessage = (ev: MessageEvent<ToBounds>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'start':
      runId = msg.runId;
      // Wait for the previous run to let go of its tensors (and the backend) before starting.
      running = running.then(() => run(msg));
      return;
    case 'batch':
      if (msg.runId !== runId || !lab) return;
      try {
        lab.batchSize = msg.batchSize;
      } catch (e) {
        post({ type: 'error', runId, message: (e as Error).message });
      }
      return;
    case 'stop':
      // The loop sees the id change after its current chunk, posts 'done' and frees its critics.
      if (msg.runId === runId) runId = -1 - msg.runId;
      return;
  }
};
