import { expect, test, type Page } from '@playwright/test';

async function openLearn(page: Page, tab: string): Promise<void> {
  // The figures below are in bits; the app's one unit setting (header and Learn) defaults to nats.
  await page.addInitScript(() => localStorage.setItem('infomax-lab:unit', 'bits'));
  await page.goto('/');
  await page.getByTestId('nav-learn').click();
  await page.getByTestId(`learn-tab-${tab}`).click();
}

test('entropy page: the fair coin is 1 bit, the biased coin and the loaded die less', async ({ page }) => {
  await openLearn(page, 'entropy');
  await expect(page.getByTestId('learn-entropy')).toBeVisible();
  await page.getByTestId('example-fair-coin').click();
  await expect(page.getByTestId('entropy-bits')).toHaveText('1.000');
  await expect(page.getByTestId('entropy-nats')).toHaveText('0.693');
  await page.getByTestId('example-biased-coin').click();
  await expect(page.getByTestId('entropy-bits')).toHaveText('0.469');
  await page.getByTestId('example-loaded-die').click();
  await expect(page.getByTestId('entropy-bits')).toHaveText('2.161');
  await page.getByTestId('example-fair-die').click();
  await expect(page.getByTestId('entropy-bits')).toHaveText('2.585');
  // Sliders are keyboard operable and keep the distribution normalised.
  await page.getByTestId('example-fair-coin').click();
  await page.getByLabel('coin: probability of heads').focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  // P(heads) 0.6, P(tails) rescaled to 0.4: H = 0.971 bits.
  await expect(page.getByTestId('entropy-bits')).toHaveText('0.971');
});

test('mutual information page: presets give I = 0 and I = H(X)', async ({ page }) => {
  await openLearn(page, 'mi');
  await expect(page.getByTestId('learn-mi')).toBeVisible();
  await page.getByTestId('mi-preset-independent').click();
  await expect(page.getByTestId('mi-ixy')).toHaveText('0.000');
  await expect(page.getByTestId('mi-kl')).toHaveText('0.000');
  await page.getByTestId('mi-preset-identical').click();
  await expect(page.getByTestId('mi-ixy')).toHaveText('1.500');
  await expect(page.getByTestId('mi-hx')).toHaveText('1.500');
  await page.getByLabel('weight of X=1, Y=1').fill('-1');
  await page.getByLabel('weight of X=1, Y=1').press('Enter');
  await expect(page.getByRole('alert')).toContainText('row 1, column 1');
});

test('channel page: the ideal channel transmits I = H(X), the disturbed one nothing', async ({ page }) => {
  await openLearn(page, 'channel');
  await expect(page.getByTestId('learn-channel')).toBeVisible();
  await page.getByTestId('channel-preset-ideal').click();
  const hx = await page.getByTestId('channel-hx').textContent();
  expect(Number(hx)).toBeGreaterThan(0);
  await expect(page.getByTestId('channel-mi')).toHaveText(hx!);
  await page.getByTestId('channel-preset-disturbed').click();
  await expect(page.getByTestId('channel-mi')).toHaveText('0.000');
  await page.getByTestId('channel-preset-bsc').click();
  await expect(page.getByTestId('channel-bsc-curve')).toBeVisible();
  await expect(page.getByTestId('channel-capacity')).toHaveText('0.531');
});

test('bounds lab: critics train in the worker and every estimator produces points', async ({ page }) => {
  await openLearn(page, 'bounds');
  await expect(page.getByTestId('learn-bounds')).toBeVisible();
  await page.getByTestId('bounds-steps').fill('4');
  await page.getByTestId('bounds-backend').selectOption('cpu');
  await page.getByTestId('bounds-batch').fill('2');
  await page.getByTestId('bounds-start').click();
  for (const e of ['infonce', 'nwj', 'dv', 'js']) {
    await expect.poll(async () => Number(await page.getByTestId(`bounds-count-${e}`).textContent()), { timeout: 90_000 }).toBeGreaterThan(0);
  }
  await expect(page.getByTestId('bounds-status')).toContainText('done', { timeout: 90_000 });
  await expect(page.getByTestId('bounds-count-infonce')).toHaveText('20');
  await expect(page.getByTestId('bounds-chart')).toHaveAttribute('data-points', '20');
  await expect(page.getByTestId('bounds-true')).toHaveText('10.00');
});

test('InfoMax → AMDIM walk-through renders every step', async ({ page }) => {
  await openLearn(page, 'infomax');
  await expect(page.getByTestId('learn-infomax')).toBeVisible();
  for (const id of ['linsker', 'bounds', 'dim', 'views', 'scales', 'encoder', 'result']) await expect(page.getByTestId(`infomax-step-${id}`)).toBeVisible();
  await page.getByTestId('infomax-link-bounds').click();
  await expect(page.getByTestId('learn-bounds')).toBeVisible();
});
