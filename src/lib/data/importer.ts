/**
 * The import pipelines, free of DOM and worker details so they run in tests: a folder of photos
 * (sub-folders are classes) and the CIFAR-10 / STL-10 binary releases. Images stream through a bounded
 * window into a DatasetWriter; the manifest is written last, and a cancel or failure removes the partial
 * dataset, so nothing half-imported ever looks complete.
 */
import { ReadAhead, type FolderSource } from './folderSource';
import { planFolder } from './folderPlan';
import { DECODE_BUDGET_PIXELS, PixelBudget } from './importPace';
import { CIFAR10_CLASSES, CIFAR_RECORD, CIFAR_SIDE, cifarLengthProblem, cifarSplit, isCifarMeta, parseCifarRecords, parseClassNames } from './cifar';
import { resizeRgb, sizeProblem, type Sniffed } from './decode';
import { blobRange, readHeader } from './header';
import { DatasetWriter, type DatasetManifest, type SkippedFile, type Split } from './store';
import { STL10_CLASSES, STL_RECORD, STL_SIDE, parseStlLabels, stlLengthProblem, stlRole, stlToHwc } from './stl';
import { gunzip, isGzip, streamChunks, tarEntries, wholeRecords } from './tar';

export { DEFAULT_TEST_FRACTION, MAX_FILES, MIN_HELD_OUT_PER_CLASS, MIN_HELD_OUT_UNLABELED, heldOutCount, planFolder, type FolderPlan, type PlannedFile } from './folderPlan';

export interface ImportProgress {
  /** Work done and total, in `unit`s (files for a folder, bytes for binary releases). */
  done: number;
  total: number;
  unit: 'files' | 'bytes';
  imported: number;
  skipped: number;
}

/** Cancelled by the user: the partial dataset has been removed. */
export class ImportCancelled extends Error {
  constructor() {
    super('Import cancelled; nothing was saved.');
    this.name = 'ImportCancelled';
  }
}

/** The import produced no dataset; `skipped` says why for each file. */
export class ImportFailed extends Error {
  constructor(message: string, readonly skipped: SkippedFile[] = []) {
    super(message);
    this.name = 'ImportFailed';
  }
}

// ---------------------------------------------------------------- folder import

/**
 * Files in flight for a machine with `cores` logical cores. Each file waits on two browser round trips
 * (its header, then the decode), so more files than cores are needed to keep the decoder busy: with 2 in
 * flight the import ran at ~0.5× the bare decode rate on 2 cores, with 8 at ~0.7–1.0×, 16 did no better.
 * Memory stays bounded by DECODE_BUDGET_PIXELS, not by this count.
 */
export function defaultConcurrency(cores: number | undefined): number {
  return Math.min(16, Math.max(8, 2 * (cores || 4)));
}

/** Decodes one image to (size, size, 3) RGB; `shown` is its displayed size when the header gave it. */
export type Decoder = (blob: Blob, size: number, shown?: { width: number; height: number } | null) => Promise<Uint8Array>;

export interface FolderImportOptions {
  id: string;
  /** Defaults to the picked folder's name. */
  name?: string;
  size: number;
  seed: number;
  /** Paths and sizes up front, contents on demand (arraySource for files already in hand). */
  source: FolderSource;
  decode: Decoder;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Files in flight at once (read, decode, resize): enough to keep the decoder busy. */
  concurrency?: number;
  /** Full-size pixels decoded at once over all files in flight (default DECODE_BUDGET_PIXELS): bounds memory. */
  decodeBudgetPixels?: number;
  testFraction?: number;
}

/**
 * Read, identify, size-check and decode one file; a reason instead of pixels when it cannot be used.
 * With a `budget`, the decode waits for its pixels (the header's size, or the whole budget when unknown).
 */
export async function prepareImage(file: Blob, size: number, decode: Decoder, budget?: PixelBudget): Promise<{ pixels: Uint8Array } | { reason: string }> {
  if (file.size === 0) return { reason: 'empty file (0 bytes)' };
  let s: Sniffed | null;
  try {
    s = await readHeader(file.size, blobRange(file)); // a few KiB: each read is a round trip (header.ts)
  } catch {
    return { reason: 'could not be read (moved, deleted or locked during the import)' };
  }
  if (!s) return { reason: 'not an image (content is not JPEG, PNG, WebP, GIF, BMP or AVIF)' };
  const shown = s.width !== null && s.height !== null ? { width: s.width, height: s.height } : null;
  if (shown) {
    const problem = sizeProblem(shown.width, shown.height);
    if (problem) return { reason: problem };
  }
  const cost = budget ? (shown ? shown.width * shown.height : budget.limit) : 0;
  if (budget) await budget.acquire(cost);
  try {
    return { pixels: await decode(file, size, shown) };
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (/^too (small|large)/.test(msg)) return { reason: msg };
    if ((e as Error)?.name === 'NotFoundError' || (e as Error)?.name === 'NotReadableError') {
      return { reason: 'could not be read (moved, deleted or locked during the import)' };
    }
    return { reason: `corrupt or truncated ${s.format.toUpperCase()} (the browser could not decode it)` };
  } finally {
    budget?.release(cost);
  }
}

export async function importFolder(o: FolderImportOptions): Promise<DatasetManifest> {
  const src = o.source;
  if (src.count === 0) throw new ImportFailed('The folder is empty: no files were found in it or its sub-folders.');
  const plan = planFolder(Array.from({ length: src.count }, (_, i) => ({ path: src.path(i), size: src.size(i) })), o.seed, o.testFraction);
  const writer = new DatasetWriter({ id: o.id, name: o.name?.trim() || plan.name, source: 'folder', size: o.size, classNames: plan.classNames });
  const skipped = [...plan.skipped];
  const total = src.count;
  let done = plan.skipped.length;
  const report = () => o.onProgress?.({ done, total, unit: 'files', imported: writer.count, skipped: skipped.length });
  report();
  // the file handles in plan order, a batch ahead of the decodes: the whole folder is never held at once
  const files = new ReadAhead(src, plan.items.map((it) => it.index));
  const window: Promise<{ pixels: Uint8Array } | { reason: string }>[] = [];
  const width = Math.max(1, o.concurrency ?? 4);
  const budget = new PixelBudget(o.decodeBudgetPixels ?? DECODE_BUDGET_PIXELS);
  let next = 0;
  try {
    while (next < plan.items.length || window.length) {
      // keep `width` decodes in flight, but consume them in file order so the dataset is deterministic
      while (window.length < width && next < plan.items.length) window.push(files.at(next++).then((f) => prepareImage(f, o.size, o.decode, budget)));
      const item = plan.items[next - window.length];
      const r = await window.shift()!;
      if (o.signal?.aborted) throw new ImportCancelled();
      if ('pixels' in r) await writer.add(item.split, r.pixels, item.label);
      else skipped.push({ name: item.path, reason: r.reason });
      done++;
      report();
    }
    if (writer.count === 0) throw new ImportFailed(`No images could be imported: all ${total} files were skipped.`, skipped);
    return await writer.finish(skipped);
  } catch (e) {
    await Promise.allSettled(window);
    await writer.abort();
    throw o.signal?.aborted ? new ImportCancelled() : e;
  }
}

// ---------------------------------------------------------------- CIFAR-10 / STL-10 binary releases

export interface BinaryImportOptions {
  id: string;
  name?: string;
  size: number;
  files: { name: string; file: Blob }[];
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

const isArchiveName = (n: string) => /\.(tar|tar\.gz|tgz)$/i.test(n);

export async function importBinary(o: BinaryImportOptions): Promise<DatasetManifest> {
  const cifar = o.files.filter((f) => isArchiveName(f.name) || cifarSplit(f.name) || isCifarMeta(f.name));
  const stl = o.files.filter((f) => stlRole(f.name));
  const skipped: SkippedFile[] = o.files
    .filter((f) => !cifar.includes(f) && !stl.includes(f))
    .map((f) => ({ name: f.name, reason: 'not a file of the CIFAR-10 or STL-10 binary release' }));
  if (cifar.length && stl.length) throw new ImportFailed('Choose the files of one dataset at a time: CIFAR-10 and STL-10 files were mixed.');
  if (!cifar.length && !stl.length) throw new ImportFailed('No CIFAR-10 (data_batch_*.bin, test_batch.bin, .tar.gz) or STL-10 (*_X.bin) files were chosen.', skipped);
  const isCifar = cifar.length > 0;
  const writer = new DatasetWriter({
    id: o.id, name: o.name?.trim() || (isCifar ? 'CIFAR-10' : 'STL-10'), source: isCifar ? 'cifar10' : 'stl10', size: o.size,
    classNames: isCifar ? CIFAR10_CLASSES : STL10_CLASSES,
  });
  const total = (isCifar ? cifar : stl).reduce((s, f) => s + f.file.size, 0);
  let done = 0;
  const report = () => o.onProgress?.({ done, total, unit: 'bytes', imported: writer.count, skipped: skipped.length });
  // counts input bytes as they are read, so progress is real for archives too
  async function* counted(blob: Blob): AsyncGenerator<Uint8Array> {
    for await (const c of streamChunks(blob.stream())) {
      if (o.signal?.aborted) throw new ImportCancelled();
      done += c.length;
      yield c;
    }
  }
  const addAll = async (split: Split, pixels: Uint8Array, labels: Int32Array | null, from: number) => {
    const n = labels ? labels.length : pixels.length / (from * from * 3);
    const px = resizeRgb(pixels, n, from, o.size);
    const per = o.size * o.size * 3;
    for (let i = 0; i < n; i++) await writer.add(split, px.subarray(i * per, (i + 1) * per), labels ? labels[i] : -1);
    report();
  };
  try {
    report();
    if (isCifar) await importCifar(cifar, counted, addAll, writer, skipped);
    else await importStl(stl, counted, addAll, skipped);
    if (writer.count === 0) throw new ImportFailed('No images could be imported from the chosen files.', skipped);
    return await writer.finish(skipped);
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

type Counted = (blob: Blob) => AsyncGenerator<Uint8Array>;
type AddAll = (split: Split, pixels: Uint8Array, labels: Int32Array | null, from: number) => Promise<void>;

async function importCifar(files: { name: string; file: Blob }[], counted: Counted, addAll: AddAll, writer: DatasetWriter, skipped: SkippedFile[]): Promise<void> {
  const onEntry = async (name: string, size: number, body: AsyncIterable<Uint8Array>) => {
    if (isCifarMeta(name)) {
      const chunks: Uint8Array[] = [];
      for await (const c of body) chunks.push(c.slice());
      const names = parseClassNames(new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer()));
      if (names.length === 10) writer.setClassNames(names);
      return;
    }
    const split = cifarSplit(name);
    if (!split) {
      const role = stlRole(name);
      if (role?.kind === 'images') skipped.push({ name, reason: 'STL-10 inside an archive is not read: extract stl10_binary.tar.gz and choose its .bin files' });
      return;
    }
    const problem = cifarLengthProblem(size);
    if (problem) {
      skipped.push({ name, reason: problem });
      return;
    }
    for await (const block of wholeRecords(body, CIFAR_RECORD, 256)) {
      const r = parseCifarRecords(block, name);
      await addAll(split, r.pixels, r.labels, CIFAR_SIDE);
    }
  };
  for (const f of files) {
    const head = new Uint8Array(await f.file.slice(0, 512).arrayBuffer());
    if (isGzip(head) || isArchiveName(f.name)) {
      try {
        // count the compressed bytes: that is what the progress total is made of
        const input = isGzip(head) ? streamChunks(gunzip(readableFrom(counted(f.file)))) : counted(f.file);
        for await (const e of tarEntries(input)) if (e.type === 'file') await onEntry(e.name, e.size, e.body);
      } catch (e) {
        if (e instanceof ImportCancelled || (e as Error)?.name === 'StorageError') throw e;
        skipped.push({ name: f.name, reason: `unreadable archive: ${(e as Error).message}` });
      }
    } else await onEntry(f.name, f.file.size, counted(f.file));
  }
}

function readableFrom(it: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const r = await it.next();
        if (r.done) ctrl.close();
        else ctrl.enqueue(r.value);
      } catch (e) {
        ctrl.error(e);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}

async function importStl(files: { name: string; file: Blob }[], counted: Counted, addAll: AddAll, skipped: SkippedFile[]): Promise<void> {
  const labels: Partial<Record<'train' | 'test', Int32Array>> = {};
  for (const f of files) {
    const role = stlRole(f.name)!;
    if (role.kind !== 'labels') continue;
    try {
      labels[role.split] = parseStlLabels(new Uint8Array(await f.file.arrayBuffer()), f.name);
    } catch (e) {
      skipped.push({ name: f.name, reason: (e as Error).message });
    }
  }
  for (const f of files) {
    const role = stlRole(f.name)!;
    if (role.kind !== 'images') continue;
    const problem = stlLengthProblem(f.file.size);
    if (problem) {
      skipped.push({ name: f.name, reason: problem });
      continue;
    }
    const n = f.file.size / STL_RECORD;
    const split: Split = role.split === 'test' ? 'test' : 'train';
    const y = role.split === 'unlabeled' ? undefined : labels[role.split];
    if (y && y.length !== n) {
      skipped.push({ name: f.name, reason: `${role.split}_y.bin has ${y.length} labels but this file has ${n} images` });
      continue;
    }
    if (!y && role.split !== 'unlabeled') skipped.push({ name: `${role.split}_y.bin`, reason: `missing: ${f.name} was imported without labels` });
    let at = 0;
    for await (const block of wholeRecords(counted(f.file), STL_RECORD, 64)) {
      const k = block.length / STL_RECORD;
      await addAll(split, stlToHwc(block, f.name), y ? y.subarray(at, at + k) : null, STL_SIDE);
      at += k;
    }
  }
}
