/**
 * When a new version's service worker activates, the previous version's files must stay in the cache as
 * long as any page that was open before (and so may still run the old code, and still fetch its old
 * chunks and worker files) is alive. These pure rules decide which cached files are stale and when they
 * may go; src/sw.ts applies them to Cache Storage and `clients.matchAll()`.
 */

/** Cached files waiting to be deleted, and the clients that may still use them. */
export interface RetireRecord {
  /** Cache keys (URLs) not in the active version's manifest. */
  keys: string[];
  /** Ids of the clients (pages and their workers) open when a newer version activated. */
  clients: string[];
}

/**
 * At activation: everything cached that the new manifest does not list becomes stale, together with what
 * an earlier record still holds; it waits for every client open now (a page of the version before the
 * previous one, still open, is among them).
 */
export function recordOnActivate(previous: RetireRecord | null, cachedKeys: string[], expected: ReadonlySet<string>, openClients: string[]): RetireRecord | null {
  const keys = new Set([...(previous?.keys ?? []), ...cachedKeys].filter((k) => !expected.has(k)));
  if (keys.size === 0) return null;
  return { keys: [...keys].sort(), clients: [...new Set(openClients)].sort() };
}

/**
 * What may be deleted now: nothing while any recorded client is still alive; otherwise every stale key
 * that the active version has not listed again (a file can come back in a later version).
 */
export function retireNow(record: RetireRecord | null, alive: ReadonlySet<string>, expected: ReadonlySet<string>): { remove: string[]; keep: RetireRecord | null } {
  if (!record) return { remove: [], keep: null };
  if (record.clients.some((id) => alive.has(id))) return { remove: [], keep: record };
  return { remove: record.keys.filter((k) => !expected.has(k)), keep: null };
}
