import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withTestHooks } from './hooks';
import { expect, test, type Page } from '@playwright/test';
import { serveAt, waitForOffline } from './serve';

// An open tab meets a new release: version 1 is built and opened, version 2 is built into the same folder
// (so version 1's hashed files are gone from the server), and the tab must keep working on version 1,
// be offered version 2, checkpoint its run before reloading into it, and work offline afterwards.
const RUN = '#preset=tiny&backend=cpu&embedEvery=1000&trainCount=64&testCount=32&probeSize=16';
const run = promisify(execFile);

/** A production build of this checkout into `outDir`, stamped with `version`. */
async function build(outDir: string, version: string): Promise<void> {
  await run('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { env: { ...process.env, INFOMAX_VERSION: version }, maxBuffer: 64 << 20 });
}

const stepOf = async (page: Page) => Number(await page.getByTestId('step').textContent());
const workerChunks = (dir: string) => readdirSync(join(dir, 'assets')).filter((f) => f.includes('.worker-')).sort();

/** Collects failed requests (other than ones the page cancelled) and error responses of a page, and uncaught errors. */
function watch(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`error: ${e.message}`));
  // net::ERR_ABORTED is a request the page itself dropped (a reload cancels the old document's favicon fetch);
  // a missing file shows as an error response and an offline miss as another network error.
  page.on('requestfailed', (r) => r.failure()?.errorText !== 'net::ERR_ABORTED' && problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
  return { problems };
}

async function stepOnce(page: Page): Promise<void> {
  const before = await stepOf(page);
  await expect(page.getByTestId('step-once')).toBeEnabled({ timeout: 240_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText(String(before + 1), { timeout: 240_000 });
}

/** Every view once, a fresh training worker (one step), and a bounds-lab worker. */
async function useEverything(page: Page): Promise<void> {
  for (const v of ['embed', 'data', 'compare', 'learn', 'train']) {
    await page.getByTestId(`nav-${v}`).click();
    await expect(page.getByTestId(`nav-${v}`)).toHaveAttribute('aria-current', 'page');
  }
  await page.evaluate(() => (window as unknown as { __infomax: { trainer: { reset(c?: unknown, restart?: boolean): void } } }).__infomax.trainer.reset(undefined, true));
  await expect(page.getByTestId('step')).toHaveText('0');
  await stepOnce(page);
  await page.getByTestId('nav-learn').click();
  await page.getByTestId('learn-tab-bounds').click();
  await page.getByTestId('bounds-steps').fill('2');
  await page.getByTestId('bounds-backend').selectOption('cpu');
  await page.getByTestId('bounds-batch').fill('2');
  await page.getByTestId('bounds-start').click();
  await expect(page.getByTestId('bounds-status')).toContainText('done', { timeout: 90_000 });
  await page.getByTestId('nav-train').click();
}

/** The precache's keys (cache-busted where Workbox revisions a file). */
const cachedKeys = (page: Page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await (await caches.open(`workbox-precache-v2-${reg.scope}`)).keys()).map((r) => r.url);
  });

test('an open tab keeps working through a new release, is offered it, and runs it after a checkpointed reload', async ({ browser }) => {
  test.setTimeout(30 * 60_000); // two production builds on a busy machine
  const dir = mkdtempSync(join(tmpdir(), 'infomax-update-'));
  const { server, url } = await serveAt(dir, '/lab/');
  const context = await browser.newContext();
  await withTestHooks(context);
  try {
    await build(dir, 'e2e-1');
    const v1Workers = workerChunks(dir);
    const page = await context.newPage();
    const a = watch(page);
    await page.goto(`${url}${RUN}`);
    await expect(page.getByTestId('app-version')).toHaveText('ve2e-1');
    const v1 = await waitForOffline(page);
    expect(v1.cached).toBe(v1.listed);
    // A second tab on version 1, left open while the first one moves to version 2.
    const other = await context.newPage();
    const b = watch(other);
    await other.goto(`${url}${RUN}`);
    await expect(other.getByTestId('app-version')).toHaveText('ve2e-1');

    await build(dir, 'e2e-2');
    const v2Workers = workerChunks(dir);
    const kinds = (files: string[]) => files.map((f) => f.slice(0, f.indexOf('.worker-')));
    expect(kinds(v1Workers)).toEqual(['bounds', 'embed', 'import', 'tags', 'train']);
    expect(kinds(v2Workers)).toEqual(kinds(v1Workers));
    for (const f of v1Workers) expect(v2Workers).not.toContain(f); // every worker file changed on the server

    // The open tab still runs version 1 in full: its views, a new training worker, a bounds worker.
    await useEverything(page);
    expect(a.problems).toEqual([]);

    // It is offered the update (the hourly / on-visible check, run now) and does not reload by itself,
    // even while training.
    await page.getByTestId('train-toggle').click();
    await expect(page.getByTestId('run-state')).toHaveText(/training/);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    await expect(page.getByTestId('update-banner')).toContainText('A new version is ready · Reload', { timeout: 60_000 });
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const before = await stepOf(page);
    await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThan(before + 1);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expect(page.getByTestId('run-state')).toHaveText(/training/);
    await expect(page.getByTestId('app-version')).toHaveText('ve2e-1');

    // Reload: the run is paused and checkpointed, then the page reloads into version 2 and continues it.
    await Promise.all([page.waitForEvent('framenavigated', { timeout: 120_000 }), page.getByTestId('update-reload').click()]);
    await expect(page.getByTestId('app-version')).toHaveText('ve2e-2', { timeout: 60_000 });
    await expect(page.getByTestId('run-state')).toHaveText(/paused/, { timeout: 60_000 });
    const continued = await stepOf(page);
    expect(continued).toBeGreaterThan(before + 1);
    await expect(page.getByTestId('update-banner')).toHaveCount(0);
    await stepOnce(page);

    // The other tab was not reloaded: it keeps running version 1 from the cache, and is offered version 2.
    await expect(other.getByTestId('app-version')).toHaveText('ve2e-1');
    await expect(other.getByTestId('update-banner')).toContainText('A new version is ready · Reload', { timeout: 60_000 });
    await useEverything(other);
    expect(b.problems).toEqual([]);
    // Version 1's files stay cached while that tab lives, and go once it has closed.
    const stale = (await cachedKeys(page)).filter((k) => v1Workers.some((f) => k.endsWith(`/assets/${f}`)));
    expect(stale).toHaveLength(v1Workers.length);
    await other.close();
    // the worker notices at its next request (here a plain fetch in scope) that no old tab is left
    await expect.poll(async () => {
      await page.evaluate(() => fetch('favicon.svg').then((r) => r.ok));
      return (await cachedKeys(page)).filter((k) => stale.includes(k));
    }, { timeout: 30_000 }).toEqual([]);
    const v2 = await waitForOffline(page);
    expect(v2.listed).toBe(v1.listed);
    await expect.poll(async () => (await cachedKeys(page)).length).toBe(v2.listed);

    // Offline after the update still works, on version 2.
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('app-version')).toHaveText('ve2e-2');
    await expect(page.getByTestId('step')).toHaveText('0', { timeout: 60_000 });
    await stepOnce(page);
    await context.setOffline(false);
    expect(a.problems).toEqual([]);
  } finally {
    await context.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
