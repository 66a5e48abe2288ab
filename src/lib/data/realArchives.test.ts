/**
 * The parsers against bytes this project did not write: tars made by GNU tar and by bsdtar with names
 * longer than the ustar field, and CIFAR-10 records written by numpy (fixtures/make_fixtures.sh makes them).
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBinary } from './importer';
import { loadDataset, useDatabase } from './store';
import { tarEntries } from './tar';
import { parseCifarRecords, CIFAR10_CLASSES } from './cifar';

const dir = join(__dirname, 'fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

async function* chunks(bytes: Uint8Array, size = 777): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const longDir = `holiday photos/${'a-rather-long-folder-name-'.repeat(4)}/${'deeper-'.repeat(8)}`;
const longFile = `${longDir}/${'IMG_long_name_'.repeat(8)}.bin`;
const longBody = Uint8Array.from({ length: 1500 }, (_, i) => (i * 13 + 5) % 256);

/** What the script wrote, by the formula in its header. */
const pixel = (i: number, y: number, x: number, c: number) => (7 * i + 3 * y + 5 * x + 11 * c) % 256;
const label = (i: number) => (3 * i + 1) % 10;

describe('tars from other writers', () => {
  for (const name of ['gnu-long.tar', 'bsd-long.tar'])
    it(`${name}: every entry, long names whole, exact bytes`, async () => {
      const files = new Map<string, Uint8Array>();
      const dirs: string[] = [];
      for await (const e of tarEntries(chunks(fixture(name)))) {
        if (e.type === 'dir') {
          dirs.push(e.name.replace(/\/$/, ''));
          for await (const _ of e.body) void _;
          continue;
        }
        const parts: Uint8Array[] = [];
        for await (const c of e.body) parts.push(c.slice());
        files.set(e.name, new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer()));
      }
      expect([...files.keys()].sort()).toEqual([longFile, 'holiday photos/short/a.txt'].sort());
      expect(longFile.length).toBeGreaterThan(100);
      expect(files.get(longFile)).toEqual(longBody);
      expect(new TextDecoder().decode(files.get('holiday photos/short/a.txt'))).toBe('first file\n');
      expect(dirs).toContain(longDir);
    });
});

describe('CIFAR-10 records written by numpy', () => {
  it('parse to the pixels and labels numpy was given (planar CHW to HWC)', async () => {
    let batch: Uint8Array | null = null;
    for await (const e of tarEntries(chunks(new Uint8Array(gunzipSync(fixture('cifar-numpy.tar.gz')))))) {
      const parts: Uint8Array[] = [];
      for await (const c of e.body) parts.push(c.slice());
      if (e.name.endsWith('data_batch_1.bin')) batch = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
    }
    const r = parseCifarRecords(batch!, 'data_batch_1.bin');
    expect(r.count).toBe(5);
    expect(Array.from(r.labels)).toEqual([0, 1, 2, 3, 4].map(label));
    for (const [i, y, x, c] of [[0, 0, 0, 0], [1, 2, 3, 1], [4, 31, 30, 2], [2, 17, 5, 0]])
      expect(r.pixels[((i * 32 + y) * 32 + x) * 3 + c]).toBe(pixel(i, y, x, c));
  });

  it('the .tar.gz imports as a dataset: splits, class names from batches.meta.txt, exact pixels', async () => {
    useDatabase('real-archives');
    const m = await importBinary({ id: 'np', size: 32, files: [{ name: 'cifar-numpy.tar.gz', file: new Blob([fixture('cifar-numpy.tar.gz')]) }] });
    expect([m.train, m.test]).toEqual([5, 3]);
    expect(m.classNames).toEqual(CIFAR10_CLASSES);
    const d = await loadDataset('np');
    expect(Array.from(d.test.labels!)).toEqual([5, 6, 7].map(label));
    expect(d.test.pixels[((1 * 32 + 9) * 32 + 4) * 3 + 2]).toBe(pixel(6, 9, 4, 2));
    expect(m.skipped).toEqual([]);
  });
});
