import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ByteReader, gunzip, isGzip, streamChunks, tarEntries, wholeRecords } from './tar';
import { chunked, makeTar } from './testFiles';

const data = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 3) & 255);
async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c.slice());
  return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
}
async function readAll(tar: AsyncIterable<Uint8Array>, skip = new Set<string>()) {
  const out: { name: string; type: string; data: Uint8Array | null }[] = [];
  for await (const e of tarEntries(tar)) out.push({ name: e.name, type: e.type, data: skip.has(e.name) ? null : await collect(e.body) });
  return out;
}

const longName = 'cifar-10-batches-bin/' + 'deep/'.repeat(20) + 'data_batch_1.bin';
const files = [
  { name: 'cifar-10-batches-bin/', dir: true },
  { name: 'cifar-10-batches-bin/batches.meta.txt', data: new TextEncoder().encode('airplane\nautomobile\n') },
  { name: 'cifar-10-batches-bin/empty.bin', data: new Uint8Array(0) },
  { name: longName, data: data(3073 * 3, 7) },
  { name: 'cifar-10-batches-bin/test_batch.bin', data: data(1024, 13) },
];

describe('tar', () => {
  it('reads every entry and its exact bytes, across awkward chunk boundaries', async () => {
    const got = await readAll(chunked(makeTar(files)));
    expect(got.map((e) => [e.name, e.type])).toEqual(files.map((f) => [f.name, f.dir ? 'dir' : 'file']));
    files.forEach((f, i) => expect(got[i].data).toEqual(f.data ?? new Uint8Array(0)));
  });

  it('skips bodies the reader ignores', async () => {
    const got = await readAll(chunked(makeTar(files)), new Set([longName]));
    expect(got[4].data).toEqual(files[4].data);
  });

  it('reads a .tar.gz through DecompressionStream', async () => {
    const gz = gzipSync(makeTar(files));
    expect(isGzip(gz)).toBe(true);
    const got = await readAll(streamChunks(gunzip(new Blob([gz]).stream())));
    expect(got[3].data).toEqual(files[3].data);
  });

  it('says clearly when an archive is truncated or not a tar', async () => {
    const tar = makeTar(files);
    await expect(readAll(chunked(tar.slice(0, 2000)))).rejects.toThrow(/truncated/);
    await expect(readAll(chunked(new Uint8Array(1024).fill(65)))).rejects.toThrow(/Not a tar archive/);
  });
});

describe('byte streams', () => {
  it('ByteReader hands out exact lengths', async () => {
    const src = data(10_000, 3);
    const r = new ByteReader(chunked(src));
    const a = await r.read(700);
    await r.skip(300);
    const b = await r.read(20_000);
    expect(a).toEqual(src.slice(0, 700));
    expect(b).toEqual(src.slice(1000));
    expect(r.position).toBe(10_000);
  });

  it('wholeRecords regroups bytes into whole records, and rejects a trailing fragment', async () => {
    const src = data(25 * 10, 5);
    const blocks: Uint8Array[] = [];
    for await (const b of wholeRecords(chunked(src), 25, 4)) blocks.push(b);
    expect(blocks.every((b) => b.length % 25 === 0 && b.length <= 100)).toBe(true);
    expect(await collect((async function* () { yield* blocks; })())).toEqual(src);
    await expect(collect(wholeRecords(chunked(data(26, 1)), 25))).rejects.toThrow(/1 trailing bytes/);
  });
});
