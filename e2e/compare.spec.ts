import { expect, test } from '@playwright/test';

// Two tiny CPU runs that differ only in augmentation, trained by the Compare view's own driver.
test('a comparison of two augmentation settings: overlaid curves, diff table, shareable URL, presenter mode', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000');
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  await page.getByTestId('nav-compare').click();

  await page.getByTestId('variant-aug').check();
  await page.getByTestId('variant-preset').selectOption('none');
  await page.getByTestId('compare-steps').fill('5');
  // AMDIM CIFAR → none: exactly the augmentation keys whose values differ
  const expected = ['flipP', 'crop', 'brightness', 'contrast', 'saturation', 'hue', 'jitterP', 'grayP'];
  await expect(page.getByTestId('variant-keys')).toHaveText(`B changes: ${expected.join(', ')}`);
  await page.getByTestId('compare-start').click();
  await expect(page.getByTestId('compare-running')).toContainText('run 1 of 2');
  await expect(page.getByTestId('compare-running')).toContainText('run 2 of 2', { timeout: 120_000 });
  await expect(page.getByTestId('compare-running')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('compare-error')).toHaveCount(0);

  const mi = page.getByTestId('compare-mi');
  await expect(mi).toHaveAttribute('data-runs', '2');
  await expect.poll(async () => Number(await page.getByTestId('compare-mi-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(5);
  // two runs × three scale pairs in the legend
  await expect(mi.locator('.u-legend .u-series')).toHaveCount(1 + 6);

  const rows = page.getByTestId('diff-table').locator('tbody tr');
  const keys = async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')))).sort();
  expect(await keys()).toEqual([...expected].sort());
  await expect(page.getByTestId('run-item')).toHaveCount(2);
  await expect(page.getByTestId('scores-table').locator('tbody tr')).toHaveCount(2);

  // exports: metrics CSV with rows from both runs, and one PNG of the charts and scatters
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-export-csv').click()]);
  const text = await (await import('node:fs/promises')).readFile((await csv.path())!, 'utf8');
  expect(text.split('\n')[0]).toMatch(/^run_id,run_name,step,loss1t5/);
  expect(new Set(text.trim().split('\n').slice(1).map((l) => l.split(',')[0])).size).toBe(2);
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-export-png').click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  const bytes = await (await import('node:fs/promises')).readFile((await png.path())!);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');

  // the address bar now holds the comparison: a fresh tab reopens it from IndexedDB
  await expect.poll(() => page.url()).toContain('#compare=');
  const url = page.url();
  const again = await context.newPage();
  await again.goto(url);
  await expect(again.getByTestId('compare-mi')).toHaveAttribute('data-runs', '2');
  const rows2 = again.getByTestId('diff-table').locator('tbody tr');
  expect((await rows2.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')))).sort()).toEqual([...expected].sort());
  await expect(again.getByTestId('link-missing')).toHaveCount(0);
  await again.close();

  // presenter mode: p opens, arrows change the view, space trains, Esc leaves
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('p');
  const presenter = page.getByTestId('presenter');
  await expect(presenter).toBeVisible();
  await expect(presenter).toHaveAttribute('data-view', 'mi');
  await page.keyboard.press('ArrowRight');
  await expect(presenter).toHaveAttribute('data-view', 'acc');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(presenter).toHaveAttribute('data-view', 'compare-acc');
  await page.keyboard.press('Escape');
  await expect(presenter).toHaveCount(0);
  await page.getByTestId('presenter-toggle').click();
  await expect(presenter).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(presenter).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a link to a dataset this browser lacks says so', async ({ page }) => {
  const body = { v: 1, dataset: 'ds-elsewhere', runs: [{ name: 'A', diff: { dataset: 'ds-elsewhere', steps: 5 } }, { name: 'B', diff: { dataset: 'ds-elsewhere', steps: 5, grayP: 0 } }] };
  const enc = Buffer.from(JSON.stringify(body)).toString('base64url');
  await page.goto(`/#compare=${enc}`);
  await expect(page.getByTestId('link-dataset-missing')).toContainText('ds-elsewhere');
  await expect(page.getByTestId('link-missing')).toContainText('2 of 2');
  await expect(page.getByTestId('link-train')).toBeDisabled();
});
