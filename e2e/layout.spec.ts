import { expect, test } from '@playwright/test';

const VIEWS = ['train', 'embed', 'data', 'compare', 'learn'] as const;

test('no view scrolls sideways at 1280 px, in either theme', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000');
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  for (const theme of ['dark', 'light'] as const) {
    if ((await page.getByTestId('theme-toggle').getAttribute('data-theme')) !== theme) await page.getByTestId('theme-toggle').click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    for (const v of VIEWS) {
      await page.getByTestId(`nav-${v}`).click();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${v} view, ${theme} theme`).toBeLessThanOrEqual(1280);
    }
  }
});

test('the theme follows the system until chosen, then persists across reloads; charts take the new grid colour', async ({ browser }) => {
  test.setTimeout(300_000);
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&logEvery=1&probeSize=16&trainCount=64&testCount=32');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  // two steps (after the warm-up), so the MI chart has points and therefore axes and grid lines
  await expect(page.getByTestId('run-note')).toHaveCount(0);
  // (a step asked for while the run is still starting can be dropped: ask again until it counts)
  await expect(async () => {
    await page.getByTestId('step-once').click();
    await expect(page.getByTestId('step')).not.toHaveText('0', { timeout: 10_000 });
  }).toPass({ timeout: 90_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).not.toHaveText('1');
  await expect.poll(async () => Number(await page.getByTestId('mi-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  // back to light: the MI chart is rebuilt, so none of the dark theme's dark grid (#2a2f3a) is left on its canvas
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const darkInk = () =>
    page.getByTestId('mi-chart').locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 128 && d[i] + d[i + 1] + d[i + 2] < 200) n++; // opaque dark ink (edge pixels are faint)
      return n;
    });
  await expect.poll(darkInk).toBe(0);
  // and the dark theme draws its grid again (the check above can fail)
  await page.getByTestId('theme-toggle').click();
  await expect.poll(darkInk).toBeGreaterThan(0);
  await context.close();
});

test('the header unit and the Learn pages\' unit picker are one setting', async ({ page }) => {
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000');
  await page.getByTestId('unit-toggle').selectOption('bits');
  await page.getByTestId('nav-learn').click();
  await page.getByTestId('learn-tab-mi').click();
  await expect(page.locator('fieldset.units input[value=bits]')).toBeChecked();
  await page.locator('fieldset.units input[value=nats]').check();
  await expect(page.getByTestId('unit-toggle')).toHaveValue('nats');
  await page.reload();
  await expect(page.getByTestId('unit-toggle')).toHaveValue('nats');
});
