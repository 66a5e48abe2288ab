import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { serveAt, waitForOffline } from './serve';

// Tiny preset on the CPU backend: the fastest to train one step in headless Chromium.
const RUN = '#preset=tiny&backend=cpu&embedEvery=1000&trainCount=64&testCount=32&probeSize=16';
const DIST = resolve(process.env.E2E_DIST || 'dist');
// Two first steps per test (online, then after an offline reload); each can take minutes on a busy CPU.
test.describe.configure({ timeout: 600_000 });

async function stepOnce(page: Page): Promise<void> {
  await expect(page.getByTestId('step-once')).toBeEnabled({ timeout: 180_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 180_000 });
}

test('after one visit the app loads and trains with the network off', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/${RUN}`);
  const { cached, listed } = await waitForOffline(page);
  // every built file (the page, its chunks, the four workers, public files), each cached
  expect(listed).toBeGreaterThanOrEqual(8);
  expect(cached).toBe(listed);

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
  const { server, url } = await serveAt(DIST, '/lab/');
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
