import { expect, test, type Page } from '@playwright/test';

/** Open "What the model sees" on the Train view (through the contract's test ids) and wait for pairs. */
async function previewPairs(page: Page, timeout: number): Promise<number> {
  await page.getByTestId('nav-train').click();
  const preview = page.getByTestId('aug-preview');
  if (!(await preview.isVisible())) await page.getByTestId('aug-preview-toggle').click();
  await expect(preview).toBeVisible();
  await expect.poll(async () => Number(await preview.getAttribute('data-pairs')), { timeout }).toBeGreaterThan(0);
  const n = Number(await preview.getAttribute('data-pairs'));
  await expect(preview.locator('canvas')).toHaveCount(2 * n);
  // the canvases hold pictures, not blank rectangles
  const painted = await preview.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) lit++;
    return lit;
  });
  expect(painted).toBeGreaterThan(0);
  return n;
}

// Each backend draws pairs by its own code path (the CPU one used to fail on a duplicated transfer buffer).
for (const backend of ['cpu', 'webgl', 'webgpu'] as const) {
  test(`the augmentation preview draws pairs on ${backend} without an error banner`, async ({ page }) => {
    // GPU backends compile the warm-up step's shaders first (software WebGPU/WebGL on a loaded CPU: minutes);
    // the preview's ops queue behind them.
    const slow = backend !== 'cpu';
    test.setTimeout(slow ? 480_000 : 180_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`/#preset=tiny&backend=${backend}&embedEvery=1000&trainCount=64&testCount=32&probeSize=16`);
    await expect(page.getByTestId('backend')).toHaveText(new RegExp(backend, 'i'), { timeout: 120_000 });
    expect(await previewPairs(page, slow ? 360_000 : 90_000)).toBe(8);
    // new samples replace the pairs, still without errors
    await page.getByTestId('preview-refresh').click();
    await expect(page.getByTestId('aug-preview')).toHaveAttribute('data-pairs', '8');
    await expect(page.getByTestId('errors')).toHaveCount(0);
    await expect(page.getByTestId('config-error')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}
