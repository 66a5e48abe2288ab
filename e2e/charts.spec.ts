import { expect, test } from '@playwright/test';

// Charts take new data in place (uPlot setData): the smoothing slider and new points must not destroy and
// rebuild them. Each chart counts its constructions in `data-builds`.
test('moving the smoothing slider and training more update the charts without rebuilding them', async ({ page }) => {
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&trainCount=64&testCount=32&probeSize=16');
  await expect(page.getByTestId('step-once')).toBeEnabled();
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 120_000 });
  const charts = ['mi-chart', 'loss-chart', 'acc-chart'].map((id) => page.getByTestId(id));
  await expect(charts[0]).toHaveAttribute('data-points', '1');
  const builds = await Promise.all(charts.map((c) => c.getAttribute('data-builds')));
  for (const b of builds) expect(Number(b)).toBeGreaterThanOrEqual(1);

  const slider = page.getByTestId('smoothing');
  for (const v of ['0.2', '0.5', '0.9', '0'])
    await slider.evaluate((el, value) => {
      (el as HTMLInputElement).value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
  await expect(page.locator('.smoothing .num')).toHaveText('0.00');
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('2', { timeout: 120_000 });
  await expect(charts[0]).toHaveAttribute('data-points', '2');
  expect(await Promise.all(charts.map((c) => c.getAttribute('data-builds')))).toEqual(builds);
});
