import { expect, test } from '@playwright/test';

// The done-when check: an augmentation comparison on the CPU backend, 2 seeds per arm (interleaved A, B,
// A, B), trained by the Compare view's own driver; held-out lines in the overlay, no sideways scroll at
// 1280 px, the A/B preview draws pairs, no error banners. Tiny config and few steps, to keep it short.
test('a comparison of two augmentation settings with 2 seeds per arm: bands, held-out lines, noise verdict, exports, presenter', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&trainCount=64&testCount=32&probeSize=16');
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  await page.getByTestId('nav-compare').click();

  await page.getByTestId('variant-aug').check();
  await page.getByTestId('variant-preset').selectOption('none');
  await page.getByTestId('compare-steps').fill('3');
  await page.getByTestId('compare-seeds').fill('2');
  // AMDIM CIFAR → none: exactly the augmentation keys whose values differ
  const expected = ['flipP', 'crop', 'brightness', 'contrast', 'saturation', 'hue', 'jitterP', 'grayP'];
  await expect(page.getByTestId('variant-keys')).toHaveText(`B changes: ${expected.join(', ')}`);
  // the A/B preview: the same 4 images through A's and B's augmentation
  await expect.poll(async () => Number(await page.getByTestId('ab-preview').getAttribute('data-pairs')), { timeout: 60_000 }).toBe(8);
  await page.getByTestId('compare-start').click();
  await expect(page.getByTestId('compare-running')).toContainText('run 1 of 4');
  await expect(page.getByTestId('compare-running')).toHaveAttribute('data-arm', '1', { timeout: 120_000 });
  await expect(page.getByTestId('compare-running')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.getByTestId('compare-error')).toHaveCount(0);

  // two arms of two runs each; the held-out lines are in the accuracy overlay and have points
  const acc = page.getByTestId('compare-acc');
  await expect(acc).toHaveAttribute('data-arms', '2');
  await expect(acc).toHaveAttribute('data-runs', '4');
  const series = (await acc.getAttribute('data-series'))!.split('|');
  for (const l of ['A linear (fitted)', 'A kNN', 'A raw pixels, linear', 'B linear (fitted)', 'B kNN', 'B random encoder, linear']) expect(series).toContain(l);
  expect(Number(await acc.getAttribute('data-heldout-points'))).toBeGreaterThanOrEqual(4);
  await expect(acc).toHaveAttribute('data-band', 'minmax');
  // mean lines in the legend (band edges are not): 2 arms × 3 pairs; 2 arms × 4 fitted accuracy lines
  // (trained linear, trained kNN, random encoder linear, raw pixels linear)
  await expect(page.getByTestId('compare-mi').locator('.u-legend .u-series:visible')).toHaveCount(1 + 6);
  await expect(acc.locator('.u-legend .u-series:visible')).toHaveCount(1 + 8);
  await expect.poll(async () => Number(await page.getByTestId('compare-mi-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);

  const rows = page.getByTestId('diff-table').locator('tbody tr');
  const keys = async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')))).sort();
  expect(await keys()).toEqual([...expected].sort());
  await expect(page.getByTestId('run-item')).toHaveCount(4);
  // names carry no doubled arm letter
  for (const name of await page.getByTestId('run-item').locator('.name').allTextContents()) expect(name).not.toMatch(/^[AB]:/);
  await expect(page.getByTestId('scores-table')).toContainText('±');
  await expect(page.getByTestId('noise-verdict')).toHaveCount(1);
  await expect(page.getByTestId('noise-verdict')).toContainText(/seed-to-seed spread|Cannot tell|Nothing to compare/);
  // the Train view got its settings back: B is still a change from them
  await expect(page.getByTestId('variant-keys')).toHaveText(`B changes: ${expected.join(', ')}`);
  // no sideways scroll at 1280 px
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

  // exports: a wide CSV (one column per metric × arm × seed, units named) and one PNG figure
  const fs = await import('node:fs/promises');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-export-csv').click()]);
  const head = (await fs.readFile((await csv.path())!, 'utf8')).split('\n')[0];
  expect(head).toMatch(/^step,/);
  expect(head).toContain('| seed 1 | nceEst1t5 [nats; NCE estimate, not a bound]');
  expect(head).toContain('| seed 1 | bound1t5 [nats; image-level InfoNCE lower bound]');
  expect(head).toContain('| seed 2 | linPixels held-out [fraction 0-1]');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('compare-export-png').click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  const bytes = await fs.readFile((await png.path())!);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  expect(bytes.readUInt32BE(16)).toBe(1920); // width from the IHDR chunk: a slide-wide figure

  // the address bar now holds the comparison: a fresh tab reopens it from IndexedDB
  await expect.poll(() => page.url()).toContain('#compare=');
  const url = page.url();
  const again = await context.newPage();
  await again.goto(url);
  await expect(again.getByTestId('compare-mi')).toHaveAttribute('data-runs', '4');
  const rows2 = again.getByTestId('diff-table').locator('tbody tr');
  expect((await rows2.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')))).sort()).toEqual([...expected].sort());
  await expect(again.getByTestId('link-missing')).toHaveCount(0);
  await again.close();

  // presenter mode: p opens, arrows change the view, Esc leaves; the comparison overlay keeps its held-out lines
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
  expect(Number(await presenter.getByTestId('compare-acc').getAttribute('data-heldout-points'))).toBeGreaterThanOrEqual(4);
  await page.keyboard.press('Escape');
  await expect(presenter).toHaveCount(0);
  await page.getByTestId('presenter-toggle').click();
  await expect(presenter).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(presenter).toHaveCount(0);
  await expect(page.getByTestId('errors')).toHaveCount(0);
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
