/// <reference lib="webworker" />
/**
 * The training worker: a thin switch over `TrainSession` (lib/train/session.ts), which holds the run, its
 * warm-up, evaluations, checkpoints and fault recovery. All tensors live here; the page only sees plain
 * numbers and transferred arrays. Every request gets one reply with its id: the value, or the error.
 */
import { getSetting, loadCheckpoint, loadDataset, saveCheckpoint, setSetting } from '../data/store';
import { PhotoSearch } from '../train/similar';
import type { TrainingRun } from '../train/loop';
import { TrainSession } from '../train/session';
import type { FromWorker, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const post = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, transfer);
const session = new TrainSession({
  emit: post,
  checkpoints: { load: loadCheckpoint, save: saveCheckpoint },
  loadDataset,
  // Device measurements, per device and app version (train/measure.ts).
  calibrations: { get: (k: string) => getSetting<unknown>(k), set: (k: string, v: unknown) => setSetting(k, v) },
});
/** "More like this" over the current run's dataset (features cached per step); made on first use. */
let search: { run: TrainingRun; s: PhotoSearch } | null = null;
function photoSearch(): { run: TrainingRun; s: PhotoSearch } {
  const r = session.run;
  if (!r) throw new Error('No run is loaded yet.');
  if (search?.run !== r) search = { run: r, s: new PhotoSearch(r) };
  return search;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Reply to `m` with what `work` returns (its array buffers transferred) or with its error. */
function answer(m: ToWorker, work: () => unknown): void {
  Promise.resolve()
    .then(work)
    .then(
      (value) => {
        const buffers = value && typeof value === 'object' ? Object.values(value).filter((v) => v instanceof ArrayBuffer) : [];
        post({ type: 'reply', reqId: m.reqId, ok: true, value }, buffers);
      },
      (err) => post({ type: 'reply', reqId: m.reqId, ok: false, message: messageOf(err) }),
    );
}

function handle(m: ToWorker): unknown {
  if (m.type !== 'init' && m.runId !== session.runId) throw new Error(`"${m.type}" was for run ${m.runId}, which was replaced`);
  switch (m.type) {
    case 'init':
      return session.init(m.runId, m.config, m.runKey, !!m.resume, m.auto).catch((err) => {
        console.error(err);
        session.setError(m.runId, messageOf(err));
        throw err;
      });
    case 'start':
      return session.start(m.runId);
    case 'step':
      return session.start(m.runId, m.count);
    case 'pause':
      return session.pause();
    case 'checkpoint':
      return session.save(m.runId);
    case 'preview':
      return session.preview(m.runId, m.count, m.aug, m.augB, m.key);
    case 'export-model':
      return session.exportModel(m.runId);
    case 'import-model':
      return session.importModel(m.runId, m.weights);
    case 'debug':
      return session.debug(m.action);
    case 'similar':
      return photoSearch().s.similar(m.source, m.index, m.count);
    case 'random-features': {
      const { run, s } = photoSearch();
      return s.randomProbeFeatures().then((features) => ({ indices: run.probeSet.slice(), dim: run.cfg.nRkhs, features }));
    }
    case 'dispose':
      search = null;
      return session.dispose();
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => answer(e.data, () => handle(e.data));
self.addEventListener('unhandledrejection', (e) => session.fail(session.runId, e.reason));
self.addEventListener('error', (e) => session.fail(session.runId, e.error ?? e.message));
