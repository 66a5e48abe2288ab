import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

// Tiny preset on the CPU backend: the fastest to train one step in headless Chromium.
const RUN = '#preset=tiny&backend=cpu&embedEvery=1000';
const DIST = resolve(process.env.E2E_DIST || 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** A bare static file server that serves the build under `prefix` only (like a project page on a shared host). */
function serveAt(prefix: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end('not here');
    let file = normalize(join(DIST, path.slice(prefix.length)));
    if (!file.startsWith(DIST)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end('missing');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}` })));
}

/** Waits until the service worker controls the page, which it does only once its precache is complete. */
async function waitForOffline(page: Page): Promise<{ scope: string; cached: number; listed: number }> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const names = (await caches.keys()).filter((k) => k.startsWith('infomax-lab-'));
    const cached = names.length === 1 ? (await (await caches.open(names[0])).keys()).length : -names.length;
    const sw = await (await fetch(new URL('sw.js', reg.scope))).text();
    const listed = (JSON.parse(/const FILES = (\[.*\]);/.exec(sw)?.[1] ?? '[]') as string[]).length;
    return { scope: reg.scope, cached, listed };
  });
}

async function stepOnce(page: Page): Promise<void> {
  await expect(page.getByTestId('step-once')).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 60_000 });
}

test('after one visit the app loads and trains with the network off', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/${RUN}`);
  const { cached, listed } = await waitForOffline(page);
  // every built file (workers included) plus the bare folder URL
  expect(listed).toBeGreaterThanOrEqual(6);
  expect(cached).toBe(listed + 1);

  await context.setOffline(true);
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.reload();
  await expect(page.getByRole('heading', { name: /InfoMax Lab/ })).toBeVisible();
  await stepOnce(page);
  expect(failed).toEqual([]);
  expect(errors).toEqual([]);
  await context.setOffline(false);
});

test('the build works from a sub-path of a plain static server, online and offline', async ({ page, context }) => {
  const { server, url } = await serveAt('/lab/');
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}${RUN}`);
    await stepOnce(page);
    const { scope } = await waitForOffline(page);
    expect(scope).toBe(url);

    await context.setOffline(true);
    await page.reload();
    await stepOnce(page);
    expect(errors).toEqual([]);
    await context.setOffline(false);
  } finally {
    server.close();
  }
});
