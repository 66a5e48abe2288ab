import { createStore, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { DatasetWriter, deleteDataset, loadTags, saveTags, sweepOrphans } from './store';
import { freshDatabasePerTest } from './testDb';

const { allKeys, name: dbNameNow } = freshDatabasePerTest('tags');

async function flatDataset(id: string) {
  const w = new DatasetWriter({ id, name: id, source: 'folder', size: 4, classNames: [] });
  for (let i = 0; i < 3; i++) await w.add('train', new Uint8Array(48).fill(i), -1);
  for (let i = 0; i < 3; i++) await w.add('test', new Uint8Array(48).fill(9 + i), -1);
  await w.finish([]);
}

describe('tags', () => {
  it('persist with the dataset, can be removed, and go when the dataset goes', async () => {
    await flatDataset('flat');
    expect((await loadTags('flat')).size).toBe(0);
    await saveTags('flat', new Map([[2, 'cats'], [0, 'dogs'], [1, 'cats']]));
    expect([...(await loadTags('flat'))]).toEqual([[0, 'dogs'], [1, 'cats'], [2, 'cats']]);
    // removing a tag is saving without it
    const t = await loadTags('flat');
    t.delete(1);
    await saveTags('flat', t);
    expect([...(await loadTags('flat'))]).toEqual([[0, 'dogs'], [2, 'cats']]);
    // a finished dataset's tags are not an orphan
    await sweepOrphans();
    expect((await loadTags('flat')).size).toBe(2);
    // no tags left: no key left
    await saveTags('flat', new Map());
    expect((await allKeys()).filter((k) => k.endsWith(':tags'))).toEqual([]);
    await saveTags('flat', new Map([[0, 'x']]));
    await deleteDataset('flat');
    expect((await allKeys()).filter((k) => k.includes('flat'))).toEqual([]);
  });

  it('drops stored entries that are not [index, name] instead of failing', async () => {
    await set('ds:odd:tags', [[0, 'a'], [-1, 'b'], [1.5, 'c'], [2, ''], ['3', 'd'], [4, '  e '], 'junk'], createStore(dbNameNow(), 'kv'));
    expect([...(await loadTags('odd'))]).toEqual([[0, 'a'], [4, 'e']]);
    await expect(loadTags('../bad')).rejects.toThrow(/dataset id/);
  });
});
