import { describe, expect, it } from 'vitest';
import { arraySource, PulledSource, READ_AHEAD_BATCH, ReadAhead, type FolderSource } from './folderSource';
import { planFolder } from './folderPlan';
import { ImportCancelled, importFolder, prepareImage, type Decoder } from './importer';
import { answerNeed, folderJob, type FromImportWorker } from './importProtocol';
import { DatasetWriter, loadDataset, type DatasetManifest, type SkippedFile } from './store';
import { freshDatabasePerTest } from './testDb';

const { allKeys } = freshDatabasePerTest('src');

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
/** A PNG header (w×h) and a payload byte the fake decoder turns into the pixels. */
const png = (w: number, h: number, payload: string) =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, ...be32(13), 73, 72, 68, 82, ...be32(w), ...be32(h)]), payload], 'x.png');
/** Stands in for the browser decoder: every pixel is the payload's first byte; "CORRUPT" fails like a bad file. */
const fakeDecode: Decoder = async (blob, size) => {
  const text = new TextDecoder().decode(new Uint8Array(await blob.arrayBuffer()).subarray(24));
  if (text.includes('CORRUPT')) throw new Error('The source image could not be decoded.');
  return new Uint8Array(size * size * 3).fill(text.charCodeAt(0));
};
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A folder in the order a browser may list it (not sorted): two classes, a text file, a corrupt photo, an empty file. */
function folder(n: number): { path: string; file: File }[] {
  const out = Array.from({ length: n }, (_, i) => ({ path: `trip/${i % 3 ? 'sea' : 'hills'}/${(i * 7919) % n}.png`, file: png(40 + (i % 5), 30, String.fromCharCode(33 + (i % 90))) }));
  out.splice(n >> 1, 0, { path: 'trip/sea/notes.txt', file: new File(['not a photo'], 'notes.txt') });
  out.splice(n >> 2, 0, { path: 'trip/hills/bad.png', file: png(40, 30, 'CORRUPT') });
  out.push({ path: 'trip/sea/empty.png', file: new File([], 'empty.png') });
  return out;
}

/**
 * The page and the worker of the app, wired as import.worker.ts and importJob.svelte.ts wire them: the job
 * carries paths and sizes (folderJob), each `need` is answered a macrotask later (a message hop) with
 * answerNeed. Records every request with the number of images the importer had consumed by then.
 */
function pulled(picked: { path: string; file: File }[], opts: { signal?: AbortSignal; answer?: (m: Extract<FromImportWorker, { type: 'need' }>) => File[] | null } = {}) {
  const job = folderJob(picked, { jobId: 7, id: 'unused', size: 8, seed: 3 });
  const requests: { indices: number[]; consumed: number }[] = [];
  const state = { consumed: 0 };
  const source: PulledSource = new PulledSource(job.paths, job.sizes, (req, indices) => {
    const need = { type: 'need', jobId: job.jobId, req, indices } as const;
    requests.push({ indices, consumed: state.consumed });
    void tick().then(() => {
      const custom = opts.answer?.(need);
      if (custom === null) return; // the page does not answer
      const m = answerNeed(picked, need);
      if (m.type === 'files') source.receive(m.req, custom ?? m.files);
    });
  }, opts.signal);
  return { source, requests, state };
}

/** The slow, obvious reference: every file in hand at once, decoded one after another in plan order, written in that order. */
async function reference(id: string, files: { path: string; file: Blob }[], seed: number, size: number): Promise<DatasetManifest> {
  const plan = planFolder(files.map((f) => ({ path: f.path, size: f.file.size })), seed);
  const w = new DatasetWriter({ id, name: plan.name, source: 'folder', size, classNames: plan.classNames });
  const skipped: SkippedFile[] = [...plan.skipped];
  for (const it of plan.items) {
    const r = await prepareImage(files[it.index].file, size, fakeDecode);
    if ('pixels' in r) await w.add(it.split, r.pixels, it.label);
    else skipped.push({ name: it.path, reason: r.reason });
  }
  return w.finish(skipped);
}

async function contents(id: string) {
  const d = await loadDataset(id);
  return { train: [Array.from(d.train.pixels), Array.from(d.train.labels ?? [])], test: [Array.from(d.test.pixels), Array.from(d.test.labels ?? [])] };
}
const sameManifest = (a: DatasetManifest, b: DatasetManifest) => {
  const strip = ({ id: _i, createdAt: _c, ...rest }: DatasetManifest) => rest;
  expect(strip(a)).toEqual(strip(b));
};

describe('ReadAhead', () => {
  it('reads in order a batch at a time, one batch ahead, each file once', async () => {
    const files = Array.from({ length: 50 }, (_, i) => ({ path: `f/${i}`, file: new Blob([String(i)]) }));
    const asked: number[][] = [];
    const base = arraySource(files);
    const src: FolderSource = { ...base, files: (ix) => (asked.push(ix), base.files(ix)) };
    const order = Array.from({ length: 50 }, (_, i) => 49 - i);
    const ra = new ReadAhead(src, order, 8);
    expect(await (await ra.at(0)).text()).toBe('49');
    expect(asked).toEqual([order.slice(0, 8), order.slice(8, 16)]);
    for (let pos = 1; pos < 50; pos++) expect(await (await ra.at(pos)).text()).toBe(String(49 - pos));
    expect(asked.flat()).toEqual(order); // every file asked for exactly once, in order
  });
});

describe('importFolder through the pull protocol', () => {
  it('stores the same dataset, byte for byte, as the all-at-once reference', async () => {
    const picked = folder(300);
    const ref = await reference('ref', picked, 3, 8);
    const { source, requests } = pulled(picked);
    const m = await importFolder({ id: 'pull', size: 8, seed: 3, source, decode: fakeDecode, concurrency: 5 });
    sameManifest(m, ref);
    expect(m.skipped.map((s) => s.reason)).toEqual([
      'empty file (0 bytes)',
      expect.stringMatching(/^corrupt or truncated PNG/),
      expect.stringMatching(/^not an image/),
    ]);
    expect(await contents('pull')).toEqual(await contents('ref'));
    // the handles came in batches, each asked for once: everything but the empty file (planned out)
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.flatMap((r) => r.indices).sort((a, b) => a - b)).toEqual(picked.map((_, i) => i).filter((i) => picked[i].file.size > 0));
  });

  it('never asks for more than its decodes in flight plus two batches ahead of what it has consumed, whatever the folder size', async () => {
    const ahead = async (n: number, width: number) => {
      const picked = folder(n);
      const plan = planFolder(picked.map((p) => ({ path: p.path, size: p.file.size })), 3);
      const position = new Map(plan.items.map((it, pos) => [it.index, pos]));
      const { source, requests, state } = pulled(picked);
      await importFolder({ id: `w${n}`, size: 8, seed: 3, source, decode: fakeDecode, concurrency: width, onProgress: (p) => (state.consumed = p.done - plan.skipped.length) });
      return Math.max(...requests.map((r) => Math.max(...r.indices.map((i) => position.get(i)!)) + 1 - r.consumed));
    };
    const small = await ahead(200, 8);
    const large = await ahead(3000, 8);
    for (const a of [small, large]) expect(a).toBeLessThanOrEqual(8 + 2 * READ_AHEAD_BATCH);
    expect(large).toBeGreaterThan(READ_AHEAD_BATCH); // it does read ahead (a batch in reserve), not one file at a time
  });

  it('a cancel while a batch is being asked for ends at once and leaves nothing, even if the page never answers again', async () => {
    const picked = folder(400);
    const ctrl = new AbortController();
    let answered = 0;
    const { source } = pulled(picked, { signal: ctrl.signal, answer: () => (answered++ >= 2 ? null : undefined) as File[] | null });
    const run = importFolder({ id: 'cx', size: 8, seed: 3, source, decode: fakeDecode, concurrency: 4, signal: ctrl.signal });
    while (answered < 3) await tick();
    ctrl.abort();
    await expect(run).rejects.toBeInstanceOf(ImportCancelled);
    expect(await allKeys()).toEqual([]);
  });

  it('a page that sends fewer handles than asked fails the import with a message saying so, and leaves nothing', async () => {
    const picked = folder(200);
    const { source } = pulled(picked, { answer: (m) => (m.req === 1 ? m.indices.slice(1).map((i) => picked[i].file) : undefined) as File[] });
    await expect(importFolder({ id: 'short', size: 8, seed: 3, source, decode: fakeDecode })).rejects.toThrow(/page sent 63 of the 64 files the import asked for/);
    expect(await allKeys()).toEqual([]);
  });

  it('the job message carries paths and sizes only; an answer carries only the handles asked for', () => {
    const picked = folder(10);
    const job = folderJob(picked, { jobId: 1, id: 'd', size: 32, seed: 1 });
    expect(job.paths).toEqual(picked.map((p) => p.path));
    expect(job.sizes).toEqual(picked.map((p) => p.file.size));
    expect(Object.values(job as Record<string, unknown>).some((v) => Array.isArray(v) && (v as unknown[]).some((x) => x instanceof Blob))).toBe(false);
    const m = answerNeed(picked, { type: 'need', jobId: 1, req: 4, indices: [9, 0, 3] });
    expect(m).toEqual({ type: 'files', jobId: 1, req: 4, files: [picked[9].file, picked[0].file, picked[3].file] });
  });
});
