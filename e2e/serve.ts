import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { expect, type Page } from '@playwright/test';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** A bare static file server for `dir` under `prefix` only (like a project page on a shared host). */
export function serveAt(dir: string, prefix: string): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end('not here');
    let file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end('missing');
    // read at request time: a rebuild into the same folder is what the next request sees
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}` })));
}

/** Waits until the service worker controls the page, which it does only once its precache is complete. */
export async function waitForOffline(page: Page): Promise<{ scope: string; cached: number; listed: number }> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const name = `workbox-precache-v2-${reg.scope}`;
    const cached = (await caches.has(name)) ? (await (await caches.open(name)).keys()).length : 0;
    // the precache manifest Workbox injected into sw.js: one {revision, url} entry per built file
    const sw = await (await fetch(new URL('sw.js', reg.scope))).text();
    const listed = (sw.match(/"url":"/g) ?? []).length;
    return { scope: reg.scope, cached, listed };
  });
}
