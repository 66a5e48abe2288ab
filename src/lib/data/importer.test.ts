import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { resizeRgb } from './decode';
import { arraySource } from './folderSource';
import { ImportCancelled, ImportFailed, importBinary, importFolder, planFolder, heldOutCount, MIN_HELD_OUT_PER_CLASS, MIN_HELD_OUT_UNLABELED } from './importer';
import { DatasetWriter, StorageError, listDatasets, loadDataset } from './store';
import { cifarBytes, hwc, makeTar, stlBytes } from './testFiles';
import { freshDatabasePerTest } from './testDb';

const { allKeys } = freshDatabasePerTest('imp');

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
/** A PNG header of the given size followed by a payload the fake decoder reads. */
const png = (w: number, h: number, payload: string) =>
  new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, ...be32(13), 73, 72, 68, 82, ...be32(w), ...be32(h)]), payload]);
/** Stands in for the browser decoder: pixels are the payload's first byte; "CORRUPT" fails like a bad file. */
async function fakeDecode(blob: Blob, size: number): Promise<Uint8Array> {
  const text = new TextDecoder().decode(new Uint8Array(await blob.arrayBuffer()).subarray(24));
  if (text.includes('CORRUPT')) throw new Error('The source image could not be decoded.');
  return new Uint8Array(size * size * 3).fill(text.charCodeAt(0));
}
const vanished = { size: 500, slice: () => ({ arrayBuffer: () => Promise.reject(new DOMException('gone', 'NotFoundError')) }) } as unknown as Blob;

describe('planFolder', () => {
  it('takes classes from sub-folders and holds out a seeded ~10% per class, at least 5 where it can', () => {
    const files = [
      ...Array.from({ length: 30 }, (_, i) => ({ path: `pets/cat/${i}.jpg`, size: 10 })),
      ...Array.from({ length: 11 }, (_, i) => ({ path: `pets/dog/${i}.jpg`, size: 10 })),
      { path: 'pets/dog/sub/deeper.jpg', size: 10 },
      { path: 'pets/bird/0.jpg', size: 10 },
      { path: 'pets/top.jpg', size: 10 },
      { path: 'pets/.DS_Store', size: 10 },
      { path: 'pets/cat/Thumbs.db', size: 10 },
      { path: 'pets/cat/empty.jpg', size: 0 },
    ];
    const p = planFolder(files, 7);
    expect(p.name).toBe('pets');
    expect(p.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(p.skipped.map((s) => s.reason)).toEqual(['hidden or system file', 'hidden or system file', 'empty file (0 bytes)']);
    const byClass = (k: number) => p.items.filter((it) => it.label === k);
    expect(byClass(1).filter((it) => it.split === 'test')).toHaveLength(5); // 10% would be 3: raised to the minimum
    expect(byClass(2)).toHaveLength(12); // the nested file counts for its top-level class
    expect(byClass(2).filter((it) => it.split === 'test')).toHaveLength(4); // the minimum, capped at a third of 12
    expect(byClass(0).map((it) => it.split)).toEqual(['train']); // a lone image cannot be held out
    expect(p.items.find((it) => it.path === 'pets/top.jpg')!.label).toBe(-1);
    expect(p.items.slice(0, 3).map((it) => it.path)).toEqual(['pets/bird/0.jpg', 'pets/cat/0.jpg', 'pets/cat/1.jpg']); // natural order
    expect(planFolder(files, 7)).toEqual(p);
    expect(planFolder(files, 8).items.map((i) => i.split)).not.toEqual(p.items.map((i) => i.split));
  });

  it('treats a flat folder or loose files as unlabeled and keeps same-named files from different folders', () => {
    expect(planFolder([{ path: 'a.png', size: 1 }, { path: 'b.png', size: 1 }], 1).classNames).toEqual([]);
    const p = planFolder([{ path: 'r/x/1.png', size: 1 }, { path: 'r/y/1.png', size: 1 }], 1);
    expect(p.items.map((i) => [i.path, i.label])).toEqual([['r/x/1.png', 0], ['r/y/1.png', 1]]);
  });
});

describe('importFolder', () => {
  const good = (cls: string, i: number) => ({ path: `set/${cls}/${i}.png`, file: png(64, 48, String.fromCharCode(65 + i)) });

  it('imports good images, explains every skipped file, and stores the manifest', async () => {
    const files = [
      ...[0, 1, 2, 3].map((i) => good('a', i)),
      ...[0, 1, 2].map((i) => good('b <"x">🙂', i)),
      { path: 'set/a/notes.txt', file: new Blob(['just text']) },
      { path: 'set/a/zero.png', file: new Blob([]) },
      { path: 'set/a/dot.png', file: png(1, 1, 'A') },
      { path: 'set/a/huge.png', file: png(20000, 20000, 'A') },
      { path: 'set/b <"x">🙂/broken.png', file: png(64, 64, 'CORRUPT') },
      { path: 'set/b <"x">🙂/gone.png', file: vanished },
    ];
    const progress: number[] = [];
    const m = await importFolder({ id: 'f1', size: 32, seed: 1, source: arraySource(files), decode: fakeDecode, concurrency: 3, onProgress: (p) => progress.push(p.done) });
    expect(m).toMatchObject({ name: 'set', train: 5, test: 2, classNames: ['a', 'b <"x">🙂'], classCounts: [4, 3] });
    const reasons = Object.fromEntries(m.skipped.map((s) => [s.name.split('/').pop(), s.reason]));
    expect(reasons).toEqual({
      'zero.png': 'empty file (0 bytes)',
      'notes.txt': expect.stringMatching(/^not an image/),
      'dot.png': expect.stringMatching(/^too small: 1×1 px/),
      'huge.png': expect.stringMatching(/^too large: 20000×20000 px/),
      'broken.png': 'corrupt or truncated PNG (the browser could not decode it)',
      'gone.png': expect.stringMatching(/could not be read/),
    });
    expect(progress.at(-1)).toBe(files.length);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    // pixels land in plan order with their labels, whatever order the decodes finish in
    const d = await loadDataset('f1');
    const plan = planFolder(files.map((f) => ({ path: f.path, size: f.file.size })), 1);
    const expected = (split: string) => plan.items.filter((it) => it.split === split && !reasons[it.path.split('/').pop()!]);
    for (const [split, set] of [['train', d.train], ['test', d.test]] as const) {
      const want = expected(split);
      expect(set.count).toBe(want.length);
      want.forEach((it, k) => {
        expect(set.labels![k]).toBe(it.label);
        expect(set.pixels[k * 3072]).toBe(it.path.charCodeAt(it.path.lastIndexOf('/') + 1) - 48 + 65);
      });
    }
  });

  it('fails with every reason when nothing can be imported, and on an empty folder', async () => {
    const err = await importFolder({ id: 'f2', size: 32, seed: 1, source: arraySource([{ path: 'x/a.txt', file: new Blob(['hi']) }]), decode: fakeDecode }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportFailed);
    expect(err.skipped).toHaveLength(1);
    await expect(importFolder({ id: 'f3', size: 32, seed: 1, source: arraySource([]), decode: fakeDecode })).rejects.toThrow(/folder is empty/);
    expect(await allKeys()).toEqual([]);
  });

  it('cancels cleanly, leaving nothing behind', async () => {
    const files = Array.from({ length: 600 }, (_, i) => good('a', i % 20));
    const ctrl = new AbortController();
    const run = importFolder({ id: 'f4', size: 32, seed: 1, source: arraySource(files), decode: fakeDecode, signal: ctrl.signal, onProgress: (p) => p.done >= 300 && ctrl.abort() });
    await expect(run).rejects.toBeInstanceOf(ImportCancelled);
    expect(await allKeys()).toEqual([]);
  });

  it('a full disk half-way removes the partial import and keeps the earlier dataset', async () => {
    const w = new DatasetWriter({ id: 'old', name: 'old', source: 'folder', size: 32, classNames: [] });
    await w.add('train', new Uint8Array(3072).fill(9), -1);
    await w.finish([]);
    const proto = IDBObjectStore.prototype;
    const orig = proto.put;
    let left = 1;
    proto.put = function (this: IDBObjectStore, ...a: Parameters<typeof orig>) {
      if (left-- <= 0) throw new DOMException('quota', 'QuotaExceededError');
      return orig.apply(this, a);
    } as typeof orig;
    try {
      const files = Array.from({ length: 700 }, (_, i) => good('a', i % 20));
      await expect(importFolder({ id: 'f5', size: 32, seed: 1, source: arraySource(files), decode: fakeDecode })).rejects.toBeInstanceOf(StorageError);
    } finally {
      proto.put = orig;
    }
    expect((await listDatasets()).map((m) => m.id)).toEqual(['old']);
    expect((await allKeys()).filter((k) => k.includes('f5'))).toEqual([]);
    expect((await loadDataset('old')).train.pixels[0]).toBe(9);
  });
});

describe('bounded memory', () => {
  /**
   * A decoder that counts what a real one holds: decodes running (each holding its full-size pixels) and
   * decoded images not yet taken by the writer. Both must stay under a bound that does not grow with N.
   */
  async function peaks(nFiles: number, concurrency: number, budget: number) {
    let running = 0;
    let runningPx = 0;
    let peakRunning = 0;
    let peakPx = 0;
    let decoded = 0;
    let consumed = 0; // handed to the writer (progress is reported after each)
    let peakOutstanding = 0;
    const decode = async (blob: Blob, size: number, shown?: { width: number; height: number } | null) => {
      const px = shown!.width * shown!.height;
      running++;
      runningPx += px;
      peakRunning = Math.max(peakRunning, running);
      peakPx = Math.max(peakPx, runningPx);
      await new Promise((r) => setTimeout(r, (decoded * 7) % 3)); // uneven decode times, so completions reorder
      running--;
      runningPx -= px;
      decoded++;
      peakOutstanding = Math.max(peakOutstanding, decoded - consumed);
      return new Uint8Array(size * size * 3);
    };
    // photos of 1 to 4 MP (headers only: the fake decoder never reads pixels)
    const files = Array.from({ length: nFiles }, (_, i) => ({ path: `big/${i}.png`, file: png(1000 + (i % 4) * 500, 1000, 'A') }));
    const m = await importFolder({
      id: `mem${nFiles}`, size: 8, seed: 1, source: arraySource(files), decode, concurrency, decodeBudgetPixels: budget,
      onProgress: (p) => (consumed = p.done),
    });
    expect(m.train + m.test).toBe(nFiles);
    return { peakRunning, peakPx, peakOutstanding };
  }

  it('keeps decodes, their pixels and decoded images in flight under fixed bounds, whatever the folder size', async () => {
    const small = await peaks(300, 8, 5_000_000);
    const large = await peaks(3000, 8, 5_000_000);
    for (const p of [small, large]) {
      expect(p.peakRunning).toBeLessThanOrEqual(8); // files in flight
      expect(p.peakPx).toBeLessThanOrEqual(5_000_000); // full-size pixels being decoded
      expect(p.peakOutstanding).toBeLessThanOrEqual(8); // decoded images waiting for the writer
    }
    expect(large.peakRunning).toBeGreaterThan(1); // decodes do overlap: the bound is not met by running one at a time
    // a budget of 3 MP lets a 4 MP photo through alone rather than never
    const tight = await peaks(40, 8, 3_000_000);
    expect(tight.peakPx).toBeLessThanOrEqual(4_000_000);
  });
});

describe('a full disk with writes behind the decoding', () => {
  it('a quota error on the last chunk, found only when the import finishes, still leaves nothing and keeps the earlier dataset', async () => {
    const w = new DatasetWriter({ id: 'kept', name: 'kept', source: 'folder', size: 32, classNames: [] });
    await w.add('train', new Uint8Array(3072).fill(5), -1);
    await w.finish([]);
    const proto = IDBObjectStore.prototype;
    const orig = proto.put;
    let left = 2; // the first chunk and its liveness mark fit; the rest of the train split does not
    proto.put = function (this: IDBObjectStore, ...a: Parameters<typeof orig>) {
      if (left-- <= 0) throw new DOMException('quota', 'QuotaExceededError');
      return orig.apply(this, a);
    } as typeof orig;
    let err: unknown;
    const progress: number[] = [];
    try {
      const files = Array.from({ length: 300 }, (_, i) => ({ path: `f/${i}.png`, file: png(64, 48, 'B') }));
      err = await importFolder({ id: 'late', size: 32, seed: 1, source: arraySource(files), decode: fakeDecode, onProgress: (p) => progress.push(p.done) }).catch((e) => e);
    } finally {
      proto.put = orig;
    }
    expect(progress[progress.length - 1]).toBe(300); // every file was decoded: the failure came at the end
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).quota).toBe(true);
    expect((err as Error).message).toMatch(/storage is full.*earlier data is intact/);
    expect((await allKeys()).filter((k) => k.includes(':late:'))).toEqual([]);
    expect((await listDatasets()).map((m) => m.id)).toEqual(['kept']);
    expect((await loadDataset('kept')).train.pixels[0]).toBe(5);
  });
});

describe('importBinary', () => {
  it('reads cifar-10-binary.tar.gz: splits, labels, class names, and skips a file of the wrong length', async () => {
    const dir = 'cifar-10-batches-bin/';
    const tgz = gzipSync(makeTar([
      { name: dir, dir: true },
      { name: dir + 'data_batch_1.bin', data: cifarBytes([0, 1, 2], 0) },
      { name: dir + 'data_batch_2.bin', data: cifarBytes([9, 8], 3) },
      { name: dir + 'data_batch_3.bin', data: cifarBytes([1]).subarray(0, 3000) },
      { name: dir + 'test_batch.bin', data: cifarBytes([4, 5], 5) },
      { name: dir + 'batches.meta.txt', data: new TextEncoder().encode('a0\na1\na2\na3\na4\na5\na6\na7\na8\na9\n') },
    ]));
    const m = await importBinary({ id: 'c', size: 32, files: [{ name: 'cifar-10-binary.tar.gz', file: new Blob([tgz]) }] });
    expect(m).toMatchObject({ source: 'cifar10', train: 5, test: 2, classNames: ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'] });
    expect(m.skipped).toEqual([{ name: dir + 'data_batch_3.bin', reason: expect.stringMatching(/wrong length: 3000 bytes/) }]);
    const d = await loadDataset('c');
    expect(Array.from(d.train.labels!)).toEqual([0, 1, 2, 9, 8]);
    expect(Array.from(d.test.labels!)).toEqual([4, 5]);
    for (let i = 0; i < 5; i++) expect(d.train.pixels.subarray(i * 3072, (i + 1) * 3072)).toEqual(hwc(i, 32));
    expect(d.test.pixels.subarray(3072)).toEqual(hwc(6, 32));
  });

  it('reads loose STL-10 files, pairing X with y and resizing 96 px to 64', async () => {
    const files = [
      { name: 'train_X.bin', file: new Blob([stlBytes(2)]) },
      { name: 'train_y.bin', file: new Blob([new Uint8Array([3, 10])]) },
      { name: 'test_X.bin', file: new Blob([stlBytes(1, 2)]) },
      { name: 'readme.txt', file: new Blob(['x']) },
    ];
    const m = await importBinary({ id: 's', size: 64, files });
    expect(m).toMatchObject({ source: 'stl10', size: 64, train: 2, test: 1, classCounts: [0, 0, 1, 0, 0, 0, 0, 0, 0, 1] });
    expect(m.skipped.map((s) => s.name)).toEqual(['readme.txt', 'test_y.bin']);
    const d = await loadDataset('s');
    expect(Array.from(d.train.labels!)).toEqual([2, 9]);
    expect(d.test.labels![0]).toBe(-1);
    expect(d.train.pixels.subarray(64 * 64 * 3)).toEqual(resizeRgb(hwc(1, 96), 1, 96, 64));
  });

  it('refuses mixed or unrelated files with a clear message', async () => {
    const blob = new Blob([new Uint8Array(10)]);
    await expect(importBinary({ id: 'm', size: 32, files: [{ name: 'test_batch.bin', file: blob }, { name: 'train_X.bin', file: blob }] })).rejects.toThrow(/one dataset at a time/);
    await expect(importBinary({ id: 'm', size: 32, files: [{ name: 'photo.jpg', file: blob }] })).rejects.toThrow(/No CIFAR-10/);
    await expect(importBinary({ id: 'm', size: 32, files: [{ name: 'test_batch.bin', file: blob }] })).rejects.toThrow(/No images/);
    expect(await allKeys()).toEqual([]);
  });
});

describe('a large folder', () => {
  it('plans 20,000 files quickly and keeps the held-out share near 10%', () => {
    const files = Array.from({ length: 20_000 }, (_, i) => ({ path: `big/c${i % 7}/img_${i}.jpg`, size: 100 }));
    const p = planFolder(files, 3);
    expect(p.items).toHaveLength(20_000);
    const test = p.items.filter((it) => it.split === 'test').length;
    expect(test).toBeGreaterThan(1900);
    expect(test).toBeLessThan(2100);
  });
});

describe('held-out split of small folders', () => {
  /** The rule spelled out case by case, as a slow reference. */
  function reference(n: number, min: number): number {
    if (n < 2) return 0;
    let k = Math.round(n * 0.1);
    if (k < min) k = min;
    if (k > Math.floor(n / 3)) k = Math.floor(n / 3);
    if (k < 1) k = 1;
    if (k > n - 1) k = n - 1;
    return k;
  }

  it('matches the reference for every size up to 400, labeled and flat', () => {
    for (let n = 0; n <= 400; n++) {
      expect(heldOutCount(n, 0.1, MIN_HELD_OUT_PER_CLASS)).toBe(reference(n, MIN_HELD_OUT_PER_CLASS));
      expect(heldOutCount(n, 0.1, MIN_HELD_OUT_UNLABELED)).toBe(reference(n, MIN_HELD_OUT_UNLABELED));
    }
  });

  it('80 photos in 3 classes: every class keeps the minimum held out (15, not 8) and two thirds to train', () => {
    const sizes = [27, 27, 26];
    const files = sizes.flatMap((n, c) => Array.from({ length: n }, (_, i) => ({ path: `f/c${c}/${i}.jpg`, size: 1 })));
    const p = planFolder(files, 1);
    for (let c = 0; c < 3; c++) {
      const held = p.items.filter((it) => it.label === c && it.split === 'test').length;
      expect(held).toBe(MIN_HELD_OUT_PER_CLASS);
    }
    expect(p.items.filter((it) => it.split === 'test')).toHaveLength(15);
  });

  it('a flat folder of 30 photos holds out 10 for the map; of 300, 30', () => {
    const flat = (n: number) => planFolder(Array.from({ length: n }, (_, i) => ({ path: `${i}.jpg`, size: 1 })), 2);
    expect(flat(30).items.filter((it) => it.split === 'test')).toHaveLength(10);
    expect(flat(300).items.filter((it) => it.split === 'test')).toHaveLength(30);
    expect(flat(2).items.filter((it) => it.split === 'test')).toHaveLength(1);
  });
});
