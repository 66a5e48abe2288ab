/**
 * The service worker (built by vite-plugin-pwa, strategy injectManifest, into sw.js next to index.html).
 * Workbox precaches every built file (hashed chunks, the worker chunks, index.html, public files) and
 * serves them cache-first, so after one visit the app loads and trains offline, from any sub-path (every
 * URL is relative to the registration scope).
 *
 * Updates follow the prompt pattern: a new version installs in the background and then WAITS; the page
 * shows "A new version is ready · Reload" and sends SKIP_WAITING only when the user asks (after
 * checkpointing a run). Unlike Workbox's own `precacheAndRoute`, activation does not delete the previous
 * version's files at once: pages that were open before (another tab, still on the old code) keep getting
 * their old chunks and worker files from the cache until none of them is left (src/lib/offline/retire.ts).
 */
/// <reference lib="webworker" />
import { PrecacheController, PrecacheRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { recordOnActivate, retireNow, type RetireRecord } from './lib/offline/retire';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

const precache = new PrecacheController();
// Static servers send `Vary: Origin`, and a page's module-script requests carry an Origin header that the
// precache requests did not; the files are immutable per URL, so any variant is the right one.
const MATCH: CacheQueryOptions = { ignoreVary: true };
precache.strategy.matchOptions = MATCH;
precache.addToCacheList(self.__WB_MANIFEST);

/** Where the retire record lives (one small JSON entry). */
const RETIRE_CACHE = 'infomax-lab-retire';
const RETIRE_KEY = new URL('__retire__', self.registration.scope).href;
/** Caches of the hand-written worker this one replaces (build/offline.ts, before vite-plugin-pwa). */
const LEGACY_PREFIX = 'infomax-lab-';

const expectedKeys = () => new Set(precache.getURLsToCacheKeys().values());
const openClientIds = async () => (await self.clients.matchAll({ includeUncontrolled: true, type: 'all' })).map((c) => c.id);

async function readRecord(): Promise<RetireRecord | null> {
  const hit = await (await caches.open(RETIRE_CACHE)).match(RETIRE_KEY);
  return hit ? ((await hit.json()) as RetireRecord) : null;
}
async function writeRecord(r: RetireRecord | null): Promise<void> {
  const cache = await caches.open(RETIRE_CACHE);
  if (r) await cache.put(RETIRE_KEY, new Response(JSON.stringify(r), { headers: { 'content-type': 'application/json' } }));
  else await cache.delete(RETIRE_KEY);
}

let retiring: Promise<void> | null = null;
/** false once it is known that nothing waits to be retired (re-read after each start of this worker). */
let mayHaveRecord = true;
/** Delete the previous versions' files once no page that was open at activation is left. */
function retireUnused(): Promise<void> {
  if (!mayHaveRecord) return Promise.resolve();
  retiring ??= (async () => {
    const record = await readRecord();
    mayHaveRecord = !!record;
    if (!record) return;
    const { remove, keep } = retireNow(record, new Set(await openClientIds()), expectedKeys());
    if (keep) return;
    const cache = await caches.open(precache.strategy.cacheName);
    await Promise.all(remove.map((k) => cache.delete(k)));
    await writeRecord(null);
    mayHaveRecord = false;
  })().finally(() => (retiring = null));
  return retiring;
}

self.addEventListener('install', (event) => {
  // No skipWaiting here: the new version waits until the page asks (or every old tab has closed).
  void precache.install(event);
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const legacy = (await caches.keys()).filter((k) => k.startsWith(LEGACY_PREFIX) && k !== RETIRE_CACHE);
      await Promise.all(legacy.map((k) => caches.delete(k)));
      const cached = (await (await caches.open(precache.strategy.cacheName)).keys()).map((r) => r.url);
      await writeRecord(recordOnActivate(await readRecord(), cached, expectedKeys(), await openClientIds()));
      mayHaveRecord = true;
      await self.clients.claim();
      await retireUnused();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

// Every request is a chance to notice that the last old page has gone (registered before Workbox's router).
self.addEventListener('fetch', (event) => event.waitUntil(retireUnused().catch(() => {})));

// This version's files, query strings ignored as before; './' is index.html.
registerRoute(new PrecacheRoute(precache, { directoryIndex: 'index.html', ignoreURLParametersMatching: [/.*/], cleanURLs: false }));
// Any other navigation in scope gets the app's page.
registerRoute(new NavigationRoute(precache.createHandlerBoundToURL('index.html')));
// A previous version's files, kept for the pages still running it; then the network.
registerRoute(
  ({ url, request }) => request.method === 'GET' && url.href.startsWith(self.registration.scope),
  async ({ request }) => {
    const cache = await caches.open(precache.strategy.cacheName);
    return (await cache.match(request, { ...MATCH, ignoreSearch: true })) ?? fetch(request);
  },
);
