import type { BrowserContext, Page } from '@playwright/test';

/** Ask the app for its debug hooks (`window.__infomax`) on every page load: they are off unless a test asks. */
export async function withTestHooks(target: Page | BrowserContext): Promise<void> {
  await target.addInitScript(() => {
    try {
      localStorage.setItem('infomax-test-hooks', '1');
    } catch {
      // about:blank has no storage; the app's own pages do
    }
  });
}

/** Keys in the app's IndexedDB store, read from the page. */
export function storeKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('infomax-lab');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('kv')) return resolve([]);
          const req = db.transaction('kv', 'readonly').objectStore('kv').getAllKeys();
          req.onsuccess = () => resolve(req.result.map(String));
          req.onerror = () => reject(req.error);
        };
      }),
  );
}
