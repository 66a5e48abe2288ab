/**
 * Where a folder import reads its files from. The plan needs only each file's path and size; the contents
 * are asked for a batch at a time just ahead of the decodes, so the import holds a window of file handles,
 * not the whole folder. In the browser the page keeps the picked File handles and answers the worker's
 * requests (PulledSource, importProtocol.ts); in tests and in the page-less benches the files are an array.
 * Pure TypeScript: no DOM, no worker API (tested in Node).
 */

export interface FolderSource {
  /** Number of files, addressed as 0..count-1. */
  readonly count: number;
  path(i: number): string;
  size(i: number): number;
  /** The contents of files `indices`, in that order. */
  files(indices: number[]): Promise<Blob[]>;
}

/** Files the caller already holds (tests, the benches' worker variants). */
export function arraySource(files: { path: string; file: Blob }[]): FolderSource {
  return {
    count: files.length,
    path: (i) => files[i].path,
    size: (i) => files[i].file.size,
    files: async (indices) => indices.map((i) => files[i].file),
  };
}

/** File handles the import holds at most beyond its decodes in flight: this batch and the next. */
export const READ_AHEAD_BATCH = 64;

/**
 * The files of `source` in a fixed `order` (positions 0..order.length-1), read a batch at a time with
 * one batch ahead. Positions must be asked for in increasing order: a batch is dropped as soon as a later
 * one is asked for, so at most two batches of handles are held, whatever the folder size.
 */
export class ReadAhead {
  readonly #batches = new Map<number, Promise<Blob[]>>();

  constructor(
    readonly source: FolderSource,
    readonly order: readonly number[],
    readonly batch = READ_AHEAD_BATCH,
  ) {}

  #request(k: number): Promise<Blob[]> | undefined {
    const from = k * this.batch;
    if (from >= this.order.length) return undefined;
    let p = this.#batches.get(k);
    if (!p) {
      const indices = this.order.slice(from, from + this.batch);
      p = this.source.files(indices).then((files) => {
        if (files.length !== indices.length) throw new Error(`asked for ${indices.length} files, got ${files.length}`);
        return files;
      });
      p.catch(() => {}); // a batch fetched ahead may fail unseen (cancelled import): its readers see the error
      this.#batches.set(k, p);
    }
    return p;
  }

  /** The contents of the file at position `pos` of the order. */
  async at(pos: number): Promise<Blob> {
    const k = Math.floor(pos / this.batch);
    for (const old of this.#batches.keys()) if (old < k) this.#batches.delete(old);
    const p = this.#request(k)!;
    this.#request(k + 1);
    return (await p)[pos - k * this.batch];
  }
}

/**
 * Worker side of the pull protocol: paths and sizes arrived with the job; each `files` call sends a
 * request (`ask`, numbered) and waits for `receive` with that number. An abort rejects what is pending,
 * so a cancelled import never waits for an answer.
 */
export class PulledSource implements FolderSource {
  readonly #pending = new Map<number, { n: number; resolve: (f: Blob[]) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(
    readonly paths: readonly string[],
    readonly sizes: readonly number[],
    readonly ask: (req: number, indices: number[]) => void,
    signal?: AbortSignal,
  ) {
    if (paths.length !== sizes.length) throw new Error(`folder import: ${paths.length} paths but ${sizes.length} sizes`);
    signal?.addEventListener('abort', () => this.#rejectAll(new DOMException('Import cancelled', 'AbortError')));
  }

  get count(): number {
    return this.paths.length;
  }
  path(i: number): string {
    return this.paths[i];
  }
  size(i: number): number {
    return this.sizes[i];
  }

  files(indices: number[]): Promise<Blob[]> {
    const req = this.#next++;
    return new Promise<Blob[]>((resolve, reject) => {
      this.#pending.set(req, { n: indices.length, resolve, reject });
      this.ask(req, indices);
    });
  }

  /** The page's answer to request `req`; a missing handle fails the import with a message saying so. */
  receive(req: number, files: (Blob | null | undefined)[]): void {
    const p = this.#pending.get(req);
    if (!p) return; // answered after a cancel: nothing waits for it
    this.#pending.delete(req);
    if (files.length !== p.n || files.some((f) => !f)) p.reject(new Error(`The page sent ${files.filter(Boolean).length} of the ${p.n} files the import asked for (request ${req}).`));
    else p.resolve(files as Blob[]);
  }

  #rejectAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}
