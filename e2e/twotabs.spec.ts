import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { storeKeys } from './hooks';
import { png } from './png';

test('opening the Data view in a second tab does not delete the first tab’s import in progress', async ({ context }) => {
  test.setTimeout(480_000);
  const dir = join(mkdtempSync(join(tmpdir(), 'infomax-tabs-')), 'many');
  mkdirSync(dir, { recursive: true });
  const N = 600;
  for (let i = 0; i < N; i++) writeFileSync(join(dir, `${String(i).padStart(4, '0')}.png`), png(480, 360, (x, y) => [(x + i) & 255, (y * 2) & 255, (x ^ y ^ i) & 255]));

  const a = await context.newPage();
  await a.goto('/#preset=tiny&backend=cpu');
  await a.getByTestId('nav-data').click();
  await a.getByTestId('folder-input').setInputFiles(dir);
  await expect(a.getByTestId('import-progress')).toBeVisible();
  // wait until tab A has written a chunk (an unfinished import: chunks without a manifest)
  await expect.poll(async () => (await storeKeys(a)).filter((k) => /^ds:.*:c:/.test(k)).length, { timeout: 300_000 }).toBeGreaterThan(0);
  const unfinished = (await storeKeys(a)).find((k) => /^ds:.*:c:/.test(k))!.split(':')[1];
  expect((await storeKeys(a)).includes(`ds:${unfinished}:m`)).toBe(false);

  // tab B opens the Data view: its orphan sweep must leave A's chunks alone
  const b = await context.newPage();
  await b.goto('/#preset=tiny&backend=cpu');
  await b.getByTestId('nav-data').click();
  await expect(b.getByTestId('dataset-list')).toBeVisible();
  await b.waitForTimeout(1500); // the sweep runs on mount
  expect((await storeKeys(b)).some((k) => k.startsWith(`ds:${unfinished}:c:`))).toBe(true);

  // A's import finishes whole
  await expect(a.getByTestId('dataset-summary')).toHaveAttribute('data-count', String(N), { timeout: 400_000 });
  await b.reload();
  await b.getByTestId('nav-data').click();
  await expect(b.getByTestId('dataset-list').locator('[data-testid=dataset-card]').filter({ hasText: 'many' })).toContainText(`${N} images`);
});
