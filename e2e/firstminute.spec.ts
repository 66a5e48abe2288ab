import { expect, test } from '@playwright/test';

/**
 * Issue 12's done-when, the counter part: the default page (no hash), Train pressed as soon as the button
 * accepts it, the step counter moves within 20 s. The app measures the device first (cached afterwards),
 * so this is the cold first visit. playwright.config.ts runs this spec twice: with --enable-unsafe-webgpu
 * (project webgpu-flag) and without (no-webgpu-flag). The limit is 20 s on an idle machine; CI machines shared with other
 * jobs get E2E_SLOW (a factor, default 1), so the assertion stays a real bound there too.
 */
const SLOW = Number(process.env.E2E_SLOW || 1);

test('default page: press Train, the step counter moves within 20 s', async ({ page }) => {
  test.setTimeout(120_000 * SLOW);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const toggle = page.getByTestId('train-toggle');
  await expect(toggle).toBeEnabled({ timeout: 30_000 * SLOW });
  const t0 = Date.now();
  await toggle.click();
  await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 20_000 * SLOW, intervals: [200] }).toBeGreaterThan(0);
  const sec = (Date.now() - t0) / 1000;
  test.info().annotations.push({ type: 'first step', description: `${sec.toFixed(1)} s after Train` });
  // The choice and its reason are on the page.
  await expect(page.getByTestId('choice')).toContainText(/model, ~[\d.]+ steps\/s on this/);
  expect(errors).toEqual([]);
});

test('a forced preset and backend in the link win over the measurement', async ({ page }) => {
  test.setTimeout(120_000 * SLOW);
  await page.goto('/#preset=small&backend=cpu&embedEvery=1000');
  await expect(page.getByTestId('backend')).toHaveText(/cpu/i);
  await expect(page.getByTestId('choice')).toContainText('small model, cpu backend');
  await expect(page.getByLabel('Width ndf')).toHaveValue('16');
});
