/**
 * Page side of the import worker: one job at a time, with the live figures the progress bar shows
 * (count, rate, time left) and the outcome the summary shows.
 */
import type { ImportProgress } from '../../lib/data/importer';
import { RateEstimator } from '../../lib/data/importPace';
import { answerNeed, folderJob, type FromImportWorker, type ToImportWorker } from '../../lib/data/importProtocol';
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
  /** The running folder job's files, whose handles the worker pulls a batch at a time; dropped when it ends. */
  #picked: PickedFile[] | null = null;
  /** Smoothed pace of `progress.done` (files, or bytes for binary releases), fed by each progress message. */
  #pace = new RateEstimator();
  /** Called with each finished dataset (the view refreshes its list). */
  ondone: ((m: DatasetManifest) => void) | null = null;

  /**
   * Files per second, smoothed over the last seconds (RateEstimator); for binary releases, images per
   * second since the start (their progress counts bytes).
   */
  get rate(): number {
    const p = this.progress;
    if (!p) return 0;
    if (p.unit === 'files') return this.#pace.rate(this.now / 1000) ?? 0;
    const s = (this.now - this.startedAt) / 1000;
    return s > 0 ? p.imported / s : 0;
  }

  /** Seconds left at the smoothed pace; null for the first second and until something is done. */
  get secondsLeft(): number | null {
    const p = this.progress;
    if (!p || !p.total) return null;
    return this.#pace.secondsLeft(p.total, this.now / 1000);
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
    this.#pace = new RateEstimator();
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
    this.#picked = files;
    this.#start(folderJob(files, { jobId: ++this.#jobId, id, name, size, seed }));
  }

  binary(files: File[], size: number): void {
    if (this.phase === 'running') return;
    const id = newId('ds');
    this.activeId = id;
    this.#picked = null;
    this.#start({ type: 'binary', jobId: ++this.#jobId, id, size, files });
  }

  cancel(): void {
    if (this.phase === 'running') this.#worker?.postMessage({ type: 'cancel', jobId: this.#jobId } satisfies ToImportWorker);
  }

  #fail(message: string): void {
    this.phase = 'error';
    this.error = message;
    this.activeId = null;
    this.#picked = null;
  }

  #on(m: FromImportWorker): void {
    if (m.jobId !== this.#jobId) return;
    if (m.type === 'need') {
      if (this.#picked) this.#worker?.postMessage(answerNeed(this.#picked, m));
      return;
    }
    this.now = performance.now();
    switch (m.type) {
      case 'progress':
        this.#pace.add(this.now / 1000, m.done);
        this.progress = { done: m.done, total: m.total, unit: m.unit, imported: m.imported, skipped: m.skipped };
        break;
      case 'done':
        this.phase = 'done';
        this.manifest = m.manifest;
        this.activeId = null;
        this.#picked = null;
        this.ondone?.(m.manifest);
        break;
      case 'cancelled':
        this.phase = 'cancelled';
        this.activeId = null;
        this.#picked = null;
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
