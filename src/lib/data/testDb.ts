/**
 * Test helper (used by unit tests only): every test gets a fresh, empty fake IndexedDB database, so no
 * test sees another's datasets; `allKeys` lists every key the store wrote into the current one.
 */
import 'fake-indexeddb/auto';
import { createStore, keys } from 'idb-keyval';
import { beforeEach } from 'vitest';
import { useDatabase } from './store';

export function freshDatabasePerTest(prefix: string): { allKeys: () => Promise<string[]>; name: () => string } {
  let dbName = '';
  let n = 0;
  beforeEach(() => {
    dbName = `${prefix}-${n++}`;
    useDatabase(dbName);
  });
  return { allKeys: () => keys<string>(createStore(dbName, 'kv')), name: () => dbName };
}
