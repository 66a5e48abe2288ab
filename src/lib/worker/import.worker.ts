/// <reference lib="webworker" />
/**
 * Import worker: a thin switch over importer.ts. Decoding (createImageBitmap + OffscreenCanvas) and the
 * IndexedDB writes both happen here, so thousands of photos never block the page.
 */
import { decodeToRgb } from '../data/decode';
import { ImportCancelled, ImportFailed, defaultConcurrency, importBinary, importFolder, type ImportProgress } from '../data/importer';
import type { FromImportWorker, ToImportWorker } from '../data/importProtocol';
import { StorageError } from '../data/store';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const jobs = new Map<number, AbortController>();
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
    const manifest =
      msg.type === 'folder'
        ? await importFolder({ ...common, seed: msg.seed, files: msg.files, decode: decodeToRgb, concurrency: msg.concurrency ?? defaultConcurrency(navigator.hardwareConcurrency) })
        : await importBinary({ ...common, files: msg.files.map((f) => ({ name: f.name, file: f })) });
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
  }
}

scope.onmessage = (ev: MessageEvent<ToImportWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'folder':
    case 'binary':
      void run(msg);
      break;
    case 'cancel':
      jobs.get(msg.jobId)?.abort();
      break;
  }
};
