import { afterEach, describe, expect, it } from 'vitest';
import {
  CHUNK_IMAGES, DatasetWriter, StorageError, deleteCheckpoint, deleteDataset, deleteRun, getSetting, lastDataset, listDatasets, listRuns,
  loadCheckpoint, loadDataset, loadRun, loadThumbnails, readChunk, renameDataset, renameRun, saveCheckpoint, saveRun, setSetting,
  sweepOrphans, LIVE_MS, IMPORT_LOCK_PREFIX,
} from './store';
import { freshDatabasePerTest } from './testDb';

const { allKeys } = freshDatabasePerTest('test');

/** A deterministic image: every byte derived from (image, byte) so any mix-up shows. */
function img(i: number, size: number): Uint8Array {
  const a = new Uint8Array(size * size * 3);
  for (let k = 0; k < a.length; k++) a[k] = (i * 31 + k * 7) & 255;
  return a;
}

async function writeDataset(id: string, train: number, test: number, size = 8, classes = ['a', 'b', 'c']) {
  const w = new DatasetWriter({ id, name: `set ${id}`, source: 'folder', size, classNames: classes });
  for (let i = 0; i < train; i++) await w.add('train', img(i, size), i % classes.length);
  for (let i = 0; i < test; i++) await w.add('test', img(1000 + i, size), i % classes.length);
  return w;
}

/** Make IndexedDB puts fail with QuotaExceededError after `allow` more puts, like a full disk. */
function quotaAfter(allow: number): () => void {
  const proto = IDBObjectStore.prototype;
  const orig = proto.put;
  let left = allow;
  proto.put = function (this: IDBObjectStore, ...args: Parameters<typeof orig>) {
    if (left-- <= 0) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return orig.apply(this, args);
  } as typeof orig;
  return () => {
    proto.put = orig;
  };
}
let restore: (() => void) | null = null;
afterEach(() => {
  restore?.();
  restore = null;
});

describe('datasets', () => {
  it('round-trips images and labels through chunks, manifest last', async () => {
    const train = CHUNK_IMAGES * 2 + 17;
    const w = await writeDataset('ds1', train, 5);
    expect(await listDatasets()).toEqual([]); // chunks written, no manifest yet: invisible
    const m = await w.finish([{ name: 'x.txt', reason: 'not an image' }]);
    expect(m).toMatchObject({ id: 'ds1', train, test: 5, size: 8, classNames: ['a', 'b', 'c'], chunkImages: CHUNK_IMAGES });
    // per-class counts against a direct count over both splits
    const ref = [0, 0, 0];
    for (let i = 0; i < train; i++) ref[i % 3]++;
    for (let i = 0; i < 5; i++) ref[i % 3]++;
    expect(m.classCounts).toEqual(ref);
    expect(m.skipped).toEqual([{ name: 'x.txt', reason: 'not an image' }]);
    expect(m.bytes).toBe((train + 5) * 192 + (train + 5) * 4 + m.thumbCount * 192);
    expect((await allKeys()).filter((k) => k.startsWith('ds:ds1:c:train:'))).toHaveLength(3);
    expect((await readChunk('ds1', 'train', 2)).pixels.length).toBe(17 * 192);

    const d = await loadDataset('ds1');
    expect(d.train.count).toBe(train);
    for (let i = 0; i < train; i++) {
      expect(d.train.pixels.subarray(i * 192, (i + 1) * 192)).toEqual(img(i, 8));
      expect(d.train.labels![i]).toBe(i % 3);
    }
    for (let i = 0; i < 5; i++) expect(d.test.pixels.subarray(i * 192, (i + 1) * 192)).toEqual(img(1000 + i, 8));
    // thumbnails: one per class before repeats
    expect(m.thumbCount).toBe(8);
    const thumbs = (await loadThumbnails('ds1'))!;
    expect(thumbs.subarray(0, 192)).toEqual(img(0, 8));
    expect(thumbs.subarray(192, 384)).toEqual(img(1, 8));
  });

  it('stores an unlabeled dataset with null labels', async () => {
    const w = new DatasetWriter({ id: 'u', name: 'u', source: 'folder', size: 8, classNames: [] });
    for (let i = 0; i < 3; i++) await w.add('train', img(i, 8), -1);
    const m = await w.finish([]);
    expect(m.classNames).toEqual([]);
    expect((await loadDataset('u')).train.labels).toBeNull();
  });

  it('abort removes every chunk; sweepOrphans cleans an interrupted import but spares active ones', async () => {
    const w = await writeDataset('gone', CHUNK_IMAGES + 1, 0);
    await w.abort();
    expect(await allKeys()).toEqual([]);
    await writeDataset('crashed', CHUNK_IMAGES, 0); // never finished: a chunk without a manifest
    await writeDataset('busy', CHUNK_IMAGES, 0);
    await (await writeDataset('ok', 3, 1)).finish([]);
    // no Web Locks in Node: both unfinished imports wrote a chunk just now, so their liveness marks spare them
    expect(await sweepOrphans([])).toBe(0);
    // minutes later, only the one named active survives (2 keys: its chunk and its liveness mark)
    expect(await sweepOrphans(['busy'], Date.now() + LIVE_MS + 1)).toBe(2);
    const left = await allKeys();
    expect(left.some((k) => k.includes(':crashed:'))).toBe(false);
    expect(left.some((k) => k.includes(':busy:'))).toBe(true);
    expect((await loadDataset('ok')).train.count).toBe(3);
  });

  it('a full disk half-way removes the partial dataset and keeps earlier ones intact', async () => {
    await (await writeDataset('old', 10, 2)).finish([]);
    restore = quotaAfter(1);
    const err = await writeDataset('new', CHUNK_IMAGES * 3, 0).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.quota).toBe(true);
    expect(err.message).toMatch(/storage is full.*Delete a dataset/);
    restore();
    restore = null;
    expect((await allKeys()).some((k) => k.includes(':new:'))).toBe(false);
    expect((await listDatasets()).map((m) => m.id)).toEqual(['old']);
    expect((await loadDataset('old')).train.pixels.subarray(0, 192)).toEqual(img(0, 8));
  });

  it('renames, deletes, rejects bad ids and explains a missing dataset', async () => {
    await (await writeDataset('r', 2, 1)).finish([]);
    await renameDataset('r', '  <b>"Holiday" 🏖️</b> ');
    expect((await listDatasets())[0].name).toBe('<b>"Holiday" 🏖️</b>');
    await expect(renameDataset('r', '   ')).rejects.toThrow(/empty/);
    await deleteDataset('r');
    expect(await allKeys()).toEqual([]);
    await expect(loadDataset('r')).rejects.toThrow(/not in this browser/);
    expect(() => new DatasetWriter({ id: 'bad id!', name: 'x', source: 'folder', size: 8, classNames: [] })).toThrow(/Invalid dataset id/);
  });
});

describe('runs, checkpoints, settings', () => {
  it('chunks metrics, drops stale chunks on re-save, lists, renames and deletes', async () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({ step: i, loss: 1 / (i + 1) }));
    const base = { id: 'run1', name: 'first', createdAt: 5, config: { seed: 1 }, datasetId: 'embedded', backend: 'webgpu' };
    await saveRun({ ...base, metrics, embedding: new Float32Array([1, 2, 3]) });
    expect((await allKeys()).filter((k) => k.startsWith('run:run1:x:'))).toHaveLength(3);
    const r = (await loadRun('run1'))!;
    expect(r.metrics).toEqual(metrics);
    expect(Array.from(r.embedding!)).toEqual([1, 2, 3]);
    await saveRun({ ...base, metrics: metrics.slice(0, 10) });
    expect((await allKeys()).filter((k) => k.startsWith('run:run1:'))).toEqual(['run:run1:m', 'run:run1:x:0']);
    expect((await loadRun('run1'))!.embedding).toBeUndefined();
    await renameRun('run1', 'renamed');
    expect(await listRuns()).toEqual([{ ...base, name: 'renamed' }]);
    await saveCheckpoint('run1', { step: 1 }, { w: { shape: [2], data: new Float32Array([1, 2]) } });
    await deleteRun('run1');
    expect(await allKeys()).toEqual([]);
  });

  it('swaps checkpoints atomically and keeps the old one when the swap fails', async () => {
    await saveCheckpoint('r', { step: 1 }, { w: { shape: [1, 2], data: new Float32Array([1, 2]) } });
    await saveCheckpoint('r', { step: 2 }, { w: { shape: [1, 2], data: new Float32Array([3, 4]) } });
    expect((await allKeys()).filter((k) => k.startsWith('ck:r:b:'))).toHaveLength(1);
    expect((await loadCheckpoint('r'))!.meta).toEqual({ step: 2 });
    restore = quotaAfter(1); // the new blob fits, the pointer swap does not
    await expect(saveCheckpoint('r', { step: 3 }, { w: { shape: [1, 2], data: new Float32Array([5, 6]) } })).rejects.toThrow(StorageError);
    restore();
    restore = null;
    const ck = (await loadCheckpoint('r'))!;
    expect(ck.meta).toEqual({ step: 2 });
    expect(Array.from(ck.tensors.w.data)).toEqual([3, 4]);
    expect((await allKeys()).filter((k) => k.startsWith('ck:r:b:'))).toHaveLength(1);
    await expect(saveCheckpoint('r', {}, { w: { shape: [3], data: new Float32Array(2) } })).rejects.toThrow(/needs 3 values/);
    await deleteCheckpoint('r');
    expect(await loadCheckpoint('r')).toBeUndefined();
  });

  it('keeps small settings', async () => {
    expect(await getSetting('lastDataset')).toBeUndefined();
    await setSetting('lastDataset', 'ds-1');
    expect(await getSetting<string>('lastDataset')).toBe('ds-1');
  });
});

describe('lastDataset', () => {
  it('returns the remembered dataset only while it exists', async () => {
    expect(await lastDataset()).toBeNull();
    await (await writeDataset('keep', 2, 1)).finish([]);
    await setSetting('lastDataset', 'keep');
    expect(await lastDataset()).toEqual({ id: 'keep', name: 'set keep' });
    await deleteDataset('keep');
    expect(await lastDataset()).toBeNull();
  });
});

describe('two tabs', () => {
  /** A minimal LockManager: what navigator.locks does within one origin (exclusive locks by name). */
  function fakeLocks() {
    const held = new Map<string, Promise<void>>();
    return {
      held,
      async request(name: string, cb: () => Promise<void>) {
        while (held.has(name)) await held.get(name);
        const p = cb();
        held.set(name, p);
        try {
          await p;
        } finally {
          held.delete(name);
        }
      },
      async query() {
        return { held: [...held.keys()].map((name) => ({ name })), pending: [] };
      },
    };
  }

  it('a sweep from another tab never deletes an import that holds its lock, and cleans it once the lock is gone', async () => {
    const locks = fakeLocks();
    const g = globalThis as { navigator?: unknown };
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
    try {
      const w = await writeDataset('tab-a', CHUNK_IMAGES, 0); // one chunk written, still importing
      expect(locks.held.has(`${IMPORT_LOCK_PREFIX}tab-a`)).toBe(true);
      // "tab B" opens the Data view much later: the liveness mark is stale, but the lock is held
      expect(await sweepOrphans([], Date.now() + 10 * LIVE_MS)).toBe(0);
      for (let i = 0; i < 5; i++) await w.add('test', img(i, 8), 0);
      const m = await w.finish([]);
      expect(m.train).toBe(CHUNK_IMAGES);
      expect(locks.held.size).toBe(0); // released on finish
      expect((await allKeys()).some((k) => k.endsWith(':live'))).toBe(false);
      // a crashed import: its tab is gone, so is its lock; the next sweep reclaims it even with a fresh mark
      const crashed = await writeDataset('tab-c', CHUNK_IMAGES, 0);
      locks.held.delete(`${IMPORT_LOCK_PREFIX}tab-c`);
      expect(await sweepOrphans([])).toBe(2);
      void crashed;
      expect((await listDatasets()).map((d) => d.id)).toEqual(['tab-a']);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete g.navigator;
    }
  });
});
