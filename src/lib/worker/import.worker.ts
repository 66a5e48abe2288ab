/// <reference lib="webworker" />
/**
 * Import worker: a thin switch over importer.ts. Decoding (createImageBitmap + OffscreenCanvas) and the
 * IndexedDB writes both happen here, so thousands of photos never block the page. A folder's File handles
 * are pulled from the page a batch at a time (importProtocol.ts), so the worker never holds them all.
 */
import { decodeToRgb } from '../data/decode';
import { ImportCancelled, ImportFailed, defaultConcurrency, importBinary, importFolder, type ImportProgress } from '../data/importer';
import type { FromImportWorker, ToImportWorker } from '../data/importProtocol';
import { PulledSource } from '../data/folderSource';
import { StorageError, type DatasetManifest } from '../data/store';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const jobs = new Map<number, AbortController>();
/** The running folder jobs' sources, which the page's `files` answers go to. */
const sources = new Map<number, PulledSource>();
const post = (m: FromImportWorker) => scope.postMessage(m);

/** At most ~10 progress messages a second: the page only needs to redraw a bar. */
function throttled(jobId: number): (p: ImportProgress) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    post({ type: 'progress', jobId, ...p });
  };
}

async function run(msg: Extract<ToImportWorker, { type: 'folder' | 'binary' }>): Promise<void> {
  const ctrl = new AbortController();
  jobs.set(msg.jobId, ctrl);
  const common = { id: msg.id, name: msg.name, size: msg.size, signal: ctrl.signal, onProgress: throttled(msg.jobId) };
  try {
    let manifest: DatasetManifest;
    if (msg.type === 'folder') {
      const source = new PulledSource(msg.paths, msg.sizes, (req, indices) => post({ type: 'need', jobId: msg.jobId, req, indices }), ctrl.signal);
      sources.set(msg.jobId, source);
      manifest = await importFolder({ ...common, seed: msg.seed, source, decode: decodeToRgb, concurrency: msg.concurrency ?? defaultConcurrency(navigator.hardwareConcurrency) });
    } else manifest = await importBinary({ ...common, files: msg.files.map((f) => ({ name: f.name, file: f })) });
    post({ type: 'done', jobId: msg.jobId, manifest });
  } catch (e) {
    if (e instanceof ImportCancelled || ctrl.signal.aborted) post({ type: 'cancelled', jobId: msg.jobId });
    else {
      post({
        type: 'error',
        jobId: msg.jobId,
        message: (e as Error)?.message ?? String(e),
        skipped: e instanceof ImportFailed ? e.skipped : [],
        quota: e instanceof StorageError && e.quota,
      });
    }
  } finally {
    jobs.delete(msg.jobId);
    sources.delete(msg.jobId);
  }
}

scope.onmessage = (ev: MessageEvent<ToImportWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'folder':
    case 'binary':
      void run(msg);
      break;
    case 'files':
      sources.get(msg.jobId)?.receive(msg.req, msg.files);
      break;
    case 'cancel':
      jobs.get(msg.jobId)?.abort();
      break;
  }
};
