/**
 * Messages between the page and the import worker, one tag name (`type`) both ways. Files travel as
 * File handles (structured clone copies no bytes); pixels never come back: the worker writes them to
 * IndexedDB itself and answers with the manifest.
 *
 * A folder is pulled, not pushed: the job carries only paths and sizes (all the plan needs); the worker
 * then asks for the handles a batch at a time as its decodes advance (`need`), and the page answers with
 * just those (`files`). Each cloned File costs the renderer ~1.6 kB (bench/importProbe.ts: 20,000 cloned
 * at once took +32 MB), so the worker holds a window of them, not the whole folder.
 */
import type { ImportProgress } from './importer';
import type { DatasetManifest, SkippedFile } from './store';

export type ToImportWorker =
  /** `concurrency`: decodes in flight (default: defaultConcurrency of the machine's cores; the bench sets it). */
  | { type: 'folder'; jobId: number; id: string; name?: string; size: number; seed: number; paths: string[]; sizes: number[]; concurrency?: number }
  /** The answer to `need` number `req`: the handles asked for, in its order. */
  | { type: 'files'; jobId: number; req: number; files: File[] }
  | { type: 'binary'; jobId: number; id: string; name?: string; size: number; files: File[] }
  | { type: 'cancel'; jobId: number };

export type FromImportWorker =
  | ({ type: 'progress'; jobId: number } & ImportProgress)
  /** The folder job wants files `indices` (positions in its paths) now. */
  | { type: 'need'; jobId: number; req: number; indices: number[] }
  | { type: 'done'; jobId: number; manifest: DatasetManifest }
  | { type: 'cancelled'; jobId: number }
  | { type: 'error'; jobId: number; message: string; skipped: SkippedFile[]; quota: boolean };

type FolderJob = Extract<ToImportWorker, { type: 'folder' }>;

/** The start of a folder job for files the page holds: their paths and sizes, no handles. */
export function folderJob(picked: readonly { path: string; file: File }[], job: Omit<FolderJob, 'type' | 'paths' | 'sizes'>): FolderJob {
  return { type: 'folder', ...job, paths: picked.map((p) => p.path), sizes: picked.map((p) => p.file.size) };
}

/** The page's answer to a `need`: only the handles asked for. */
export function answerNeed(picked: readonly { file: File }[], m: Extract<FromImportWorker, { type: 'need' }>): ToImportWorker {
  return { type: 'files', jobId: m.jobId, req: m.req, files: m.indices.map((i) => picked[i]?.file) };
}
