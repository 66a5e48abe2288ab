import { expect, test, type Page } from '@playwright/test';

const URL = '/#preset=tiny&backend=cpu&embedEvery=1000';
const stepOf = async (page: Page) => Number(await page.getByTestId('step').textContent());
const chartPoints = async (page: Page) => Number(await page.getByTestId('mi-chart').getAttribute('data-points'));

test('a reloaded tab resumes the run: the step count and the curve continue', async ({ page }) => {
  await page.goto(URL);
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  await page.getByTestId('train-toggle').click();
  await expect.poll(() => stepOf(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(4);
  await page.getByTestId('train-toggle').click();
  await expect(page.getByTestId('run-state')).toHaveText(/paused/);
  const paused = await stepOf(page);
  // Pausing saves a checkpoint.
  await expect(page.getByTestId('debug-checkpoint')).toContainText(`step ${paused}`);
  expect(await chartPoints(page)).toBe(paused);

  await page.reload();
  await expect(page.getByTestId('resume-banner')).toContainText(`step ${paused}`);
  await page.getByTestId('resume-run').click();
  await expect(page.getByTestId('step')).toHaveText(String(paused));
  await expect.poll(() => chartPoints(page)).toBe(paused);
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText(String(paused + 1));
  await expect.poll(() => chartPoints(page)).toBe(paused + 1);
});

test('a NaN loss stops training, restores the last good checkpoint and names the term', async ({ page }) => {
  await page.goto(URL);
  await expect(page.getByTestId('step-once')).toBeEnabled();
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1');
  await page.getByTestId('debug-panel').locator('summary').click();
  await page.getByTestId('save-checkpoint').click();
  await expect(page.getByTestId('debug-checkpoint')).toContainText('step 1');
  await page.evaluate(() => (window as unknown as { __infomax: { debug(a: string): void } }).__infomax.debug('nan'));
  await page.getByTestId('train-toggle').click();
  await expect(page.getByTestId('errors')).toContainText(/L 1→5 became NaN/);
  await expect(page.getByTestId('errors')).toContainText('checkpoint (step 1)');
  await expect(page.getByTestId('step')).toHaveText('1');
  await expect(page.getByTestId('run-state')).toHaveText(/paused/);
});
