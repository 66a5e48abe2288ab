/// <reference lib="webworker" />
/**
 * The training worker: a thin switch over `TrainSession` (lib/train/session.ts), which holds the run, its
 * warm-up, evaluations, checkpoints and fault recovery. All tensors live here; the page only sees plain
 * numbers and transferred arrays. Messages for another run than the current one are dropped.
 */
import { loadCheckpoint, loadDataset, saveCheckpoint } from '../data/store';
import { TrainSession } from '../train/session';
import type { FromWorker, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const session = new TrainSession({
  emit: (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, transfer),
  checkpoints: { load: loadCheckpoint, save: saveCheckpoint },
  loadDataset,
});

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type !== 'init' && m.runId !== session.runId) return; // a message for a cancelled run
  const fail = (fatal: boolean) => (err: unknown) => session.fail(m.runId, err, fatal);
  switch (m.type) {
    case 'init':
      session.init(m.runId, m.config, m.runKey, !!m.resume).catch(fail(true));
      break;
    case 'start':
      session.start(m.runId);
      break;
    case 'step':
      session.start(m.runId, m.count);
      break;
    case 'pause':
      session.pause();
      break;
    case 'checkpoint':
      session.save(m.runId).catch(fail(false));
      break;
    case 'preview':
      session.preview(m.runId, m.count, m.aug, m.augB, m.key).catch(fail(false));
      break;
    case 'export-model':
      session.exportModel(m.runId).catch(fail(false));
      break;
    case 'import-model':
      try {
        session.importModel(m.runId, m.weights);
      } catch (err) {
        fail(false)(err);
      }
      break;
    case 'debug':
      session.debug(m.action);
      break;
    case 'dispose':
      session.dispose();
      break;
  }
};

self.addEventListener('unhandledrejection', (e) => session.fail(session.runId, e.reason));
self.addEventListener('error', (e) => session.fail(session.runId, e.error ?? e.message));
