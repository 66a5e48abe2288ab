import { expect, test, type Page } from '@playwright/test';
import { withTestHooks } from './hooks';

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
  console.log(`first step: ${sec.toFixed(1)} s after Train`);
  // The choice and its reason are on the page.
  await expect(page.getByTestId('choice')).toContainText(/model, ~[\d.]+ steps\/s on this/);
  expect(errors).toEqual([]);
});

/** Means of the three pairs' NCE estimate and image-level bound over the logged steps in [from, to). */
function windowMeans(page: Page, from: number, to: number): Promise<{ nce: number; bound: number; n: number }> {
  return page.evaluate(
    ([a, b]) => {
      type Cols = { step: number[]; cols: Record<string, number[]> };
      const m = (window as unknown as { __infomax: { trainer: { metrics: Cols } } }).__infomax.trainer.metrics;
      const idx = m.step.flatMap((s, i) => (s >= a && s < b ? [i] : []));
      const mean = (k: string) => idx.reduce((t, i) => t + (m.cols[`${k}1t5`][i] + m.cols[`${k}1t7`][i] + m.cols[`${k}5t5`][i]) / 3, 0) / idx.length;
      return { nce: mean('nceEst'), bound: mean('bound'), n: idx.length };
    },
    [from, to],
  );
}

/**
 * Issue 12's done-when, the curve part: on the default page the MI curve rises visibly within 90 s of Train.
 * The run is seeded, so the values at each step are the same every time (the embedded dataset, the model and
 * the augmentation draw from config.seed on the CPU backend); what the machine changes is how long the steps
 * take. So the test compares two windows of steps (1–25 against 76–100, the reference run's fast rise) and
 * asks that step 100 comes within 90 s (E2E_SLOW scales it on a shared CI box).
 */
test('default page: the MI curve rises within 90 s of Train', async ({ page }) => {
  test.setTimeout(180_000 * SLOW);
  await withTestHooks(page);
  await page.goto('/');
  const toggle = page.getByTestId('train-toggle');
  await expect(toggle).toBeEnabled({ timeout: 30_000 * SLOW });
  const t0 = Date.now();
  await toggle.click();
  const lastStep = () => page.evaluate(() => (window as unknown as { __infomax: { trainer: { metrics: { step: number[] } } } }).__infomax.trainer.metrics.step.at(-1) ?? -1);
  await expect.poll(lastStep, { timeout: 90_000 * SLOW, intervals: [500] }).toBeGreaterThanOrEqual(100);
  const sec = (Date.now() - t0) / 1000;
  const early = await windowMeans(page, 1, 26);
  const late = await windowMeans(page, 76, 101);
  const rise = {
    type: 'MI rise',
    description: `step 100 at ${sec.toFixed(1)} s after Train; NCE estimate ${early.nce.toFixed(3)} → ${late.nce.toFixed(3)} nats, bound ${early.bound.toFixed(3)} → ${late.bound.toFixed(3)} nats`,
  };
  test.info().annotations.push(rise);
  console.log(`${rise.type}: ${rise.description}`);
  expect([early.n, late.n]).toEqual([25, 25]);
  expect(late.nce - early.nce).toBeGreaterThanOrEqual(0.3);
  expect(late.bound - early.bound).toBeGreaterThanOrEqual(0.1);
});

test('a forced preset and backend in the link win over the measurement', async ({ page }) => {
  test.setTimeout(120_000 * SLOW);
  await page.goto('/#preset=small&backend=cpu&embedEvery=1000');
  await expect(page.getByTestId('backend')).toHaveText(/cpu/i);
  await expect(page.getByTestId('choice')).toContainText('small model, cpu backend');
  await expect(page.getByLabel('Width ndf')).toHaveValue('16');
});
