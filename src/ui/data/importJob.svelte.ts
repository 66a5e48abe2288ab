/**
 * Page side of the import worker: one job at a time, with the live figures the progress bar shows
 * (count, rate, time left) and the outcome the summary shows.
 */
import type { ImportProgress } from '../../lib/data/importer';
import type { FromImportWorker, ToImportWorker } from '../../lib/data/importProtocol';
import { newId, type DatasetManifest, type SkippedFile } from '../../lib/data/store';
import type { PickedFile } from './folderEntries';

export type JobPhase = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

export class ImportJob {
  phase = $state<JobPhase>('idle');
  progress = $state.raw<ImportProgress | null>(null);
  manifest = $state.raw<DatasetManifest | null>(null);
  error = $state<string | null>(null);
  errorSkipped = $state.raw<SkippedFile[]>([]);
  startedAt = $state(0);
  now = $state(0);
  /** The dataset id being written, so an orphan sweep leaves it alone. */
  activeId = $state<string | null>(null);
  #worker: Worker | null = null;
  #jobId = 0;
  /** Called with each finished dataset (the view refreshes its list). */
  ondone: ((m: DatasetManifest) => void) | null = null;

  /** Items per second (files, or images for binary releases) since the start. */
  get rate(): number {
    const p = this.progress;
    const s = (this.now - this.startedAt) / 1000;
    if (!p || s <= 0) return 0;
    return (p.unit === 'files' ? p.done : p.imported) / s;
  }

  /** Seconds left, from the fraction done so far; null until there is enough to go on. */
  get secondsLeft(): number | null {
    const p = this.progress;
    const s = (this.now - this.startedAt) / 1000;
    if (!p || !p.total || p.done <= 0 || s < 0.5) return null;
    return (s * (p.total - p.done)) / p.done;
  }

  #ensure(): Worker {
    if (!this.#worker) {
      this.#worker = new Worker(new URL('../../lib/worker/import.worker.ts', import.meta.url), { type: 'module', name: 'import' });
      this.#worker.onmessage = (ev: MessageEvent<FromImportWorker>) => this.#on(ev.data);
      this.#worker.onerror = (ev) => this.#fail(`The import worker failed: ${ev.message || 'unknown error'}`);
    }
    return this.#worker;
  }

  #start(msg: ToImportWorker): void {
    this.phase = 'running';
    this.progress = null;
    this.manifest = null;
    this.error = null;
    this.errorSkipped = [];
    this.startedAt = this.now = performance.now();
    this.#ensure().postMessage(msg);
  }

  folder(files: PickedFile[], size: number, seed: number, name?: string): void {
    if (this.phase === 'running') return;
    if (!files.length) {
      this.phase = 'error';
      this.error = 'The folder is empty: no files were found in it or its sub-folders.';
      return;
    }
    const id = newId('ds');
    this.activeId = id;
    this.#start({ type: 'folder', jobId: ++this.#jobId, id, name, size, seed, files });
  }

  binary(files: File[], size: number): void {
    if (this.phase === 'running') return;
    const id = newId('ds');
    this.activeId = id;
    this.#start({ type: 'binary', jobId: ++this.#jobId, id, size, files });
  }

  cancel(): void {
    if (this.phase === 'running') this.#worker?.postMessage({ type: 'cancel', jobId: this.#jobId } satisfies ToImportWorker);
  }

  #fail(message: string): void {
    this.phase = 'error';
    this.error = message;
    this.activeId = null;
  }

  #on(m: FromImportWorker): void {
    if (m.jobId !== this.#jobId) return;
    this.now = performance.now();
    switch (m.type) {
      case 'progress':
        this.progress = { done: m.done, total: m.total, unit: m.unit, imported: m.imported, skipped: m.skipped };
        break;
      case 'done':
        this.phase = 'done';
        this.manifest = m.manifest;
        this.activeId = null;
        this.ondone?.(m.manifest);
        break;
      case 'cancelled':
        this.phase = 'cancelled';
        this.activeId = null;
        break;
      case 'error':
        this.#fail(m.message);
        this.errorSkipped = m.skipped;
        break;
    }
  }

}

/** One job for the whole page: an import keeps running while the user looks at another tab. */
export const importJob = new ImportJob();
