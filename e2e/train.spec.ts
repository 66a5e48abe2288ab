import { expect, test, chromium } from '@playwright/test';
import { DEFAULTS } from '../src/lib/config';
import { withTestHooks } from './hooks';

test.describe('training page', () => {
  test('loads on WebGPU, trains the tiny preset, and the MI curves get points', async ({ page }) => {
    // Software WebGPU (SwiftShader) compiles every shader on the CPU: small data, generous time.
    test.setTimeout(360_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await withTestHooks(page);
    // backend=webgpu: the automatic choice measures the device and, here, rightly prefers the CPU.
    await page.goto('/#preset=tiny&backend=webgpu&embedEvery=1000&probeSize=16&trainCount=64&testCount=32');
    await expect(page.getByTestId('backend')).toHaveText(/webgpu/i);
    await expect(page.getByTestId('train-toggle')).toBeEnabled();
    await expect(page.getByTestId('step')).toHaveText('0');
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 200_000 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId('train-toggle').click();
    await expect(page.getByTestId('run-state')).toHaveText(/paused/);
    const chart = page.getByTestId('mi-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    // The step counter stops while paused, and a single step adds exactly one.
    const before = Number(await page.getByTestId('step').textContent());
    await page.getByTestId('step-once').click();
    await expect(page.getByTestId('step')).toHaveText(String(before + 1));
    expect(errors).toEqual([]);

    // A lost GPU device: the backend is rebuilt and the run resumes from the last checkpoint, saying so.
    await page.getByTestId('debug-panel').locator('summary').click();
    await page.getByTestId('save-checkpoint').click();
    await expect(page.getByTestId('debug-checkpoint')).toContainText(`step ${before + 1}`);
    await page.evaluate(() => (window as unknown as { __infomax: { debug(a: string): void } }).__infomax.debug('lose-device'));
    await expect(page.getByTestId('notice')).toContainText(`GPU device was lost`);
    await expect(page.getByTestId('notice')).toContainText(`checkpoint at step ${before + 1}`);
    await expect(page.getByTestId('step')).toHaveText(String(before + 1));
    await expect(page.getByTestId('step-once')).toBeEnabled();
    await page.getByTestId('step-once').click();
    await expect(page.getByTestId('step')).toHaveText(String(before + 2), { timeout: 120_000 });
  });

  test('falls back to WebGL when WebGPU is unavailable, and says so', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-features=WebGPU,Vulkan', '--disable-webgpu'],
    });
    try {
      const page = await browser.newPage();
      const base = test.info().project.use.baseURL!;
      await page.goto(`${base}/#preset=tiny&backend=webgpu&embedEvery=1000&probeSize=16&trainCount=64&testCount=32`);
      await expect(page.getByTestId('backend')).toHaveText(/webgl/i);
      await expect(page.getByTestId('backend-notes')).toContainText(/WebGPU/);
      await page.getByTestId('step-once').click();
      await expect(page.getByTestId('step')).toHaveText('1');
    } finally {
      await browser.close();
    }
  });

  test('a bad URL hash is reported on the page and the defaults are used', async ({ page }) => {
    // One bad value spoils the whole link: the valid batchSize=8 is not applied either.
    await page.goto('/#ndf=banana&batchSize=8');
    await expect(page.getByTestId('config-error')).toContainText('ndf');
    await expect(page.getByTestId('set-ndf')).toHaveValue(String(DEFAULTS.ndf));
    await expect(page.getByTestId('set-batchSize')).toHaveValue(String(DEFAULTS.batchSize));
    expect(DEFAULTS.batchSize).not.toBe(8);
  });
});
