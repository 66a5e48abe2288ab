/**
 * Messages between the page and the import worker, one tag name (`type`) both ways. Files travel as
 * File handles (structured clone copies no bytes); pixels never come back: the worker writes them to
 * IndexedDB itself and answers with the manifest.
 */
import type { ImportProgress } from './importer';
import type { DatasetManifest, SkippedFile } from './store';

export type ToImportWorker =
  /** `concurrency`: decodes in flight (default: defaultConcurrency of the machine's cores; the bench sets it). */
  | { type: 'folder'; jobId: number; id: string; name?: string; size: number; seed: number; files: { path: string; file: File }[]; concurrency?: number }
  | { type: 'binary'; jobId: number; id: string; name?: string; size: number; files: File[] }
  | { type: 'cancel'; jobId: number };

export type FromImportWorker =
  | ({ type: 'progress'; jobId: number } & ImportProgress)
  | { type: 'done'; jobId: number; manifest: DatasetManifest }
  | { type: 'cancelled'; jobId: number }
  | { type: 'error'; jobId: number; message: string; skipped: SkippedFile[]; quota: boolean };
