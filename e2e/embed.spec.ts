import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

// The embedding view against a real training run: layout of the probe set, thumbnails on hover, pinned
// neighbours, the Projector exports, 3-D and PCA. That a new encoding continues from the previous layout is
// checked in src/lib/embed/session.test.ts; here, that the view follows the newest encoding.

/** The tiny preset's probe set (config PRESETS.tiny.probeSize). */
const PROBE = 200;

async function openEmbeddingView(page: Page): Promise<void> {
  await page.getByTestId('nav-embed').click();
  await page.getByTestId('embedding').scrollIntoViewIfNeeded();
}

async function download(page: Page, testid: string): Promise<{ name: string; text: string; bytes: number }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  const buf = readFileSync((await dl.path())!);
  return { name: dl.suggestedFilename(), text: buf.toString('utf8'), bytes: buf.length };
}

test.describe('embedding view', () => {
  test('trains a few steps, lays out the probe set, shows thumbnails and exports Projector files', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // embedEvery=2: a fresh encoding arrives every other step while training.
    // A small training split keeps each evaluation (three feature sets, fitted classifiers) short.
    await page.goto('/#preset=tiny&embedEvery=2&evalPace=every&trainCount=300');
    await expect(page.getByTestId('train-toggle')).toBeEnabled({ timeout: 120_000 });
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 120_000 }).toBeGreaterThanOrEqual(4);
    await page.getByTestId('train-toggle').click();
    await expect(page.getByTestId('run-state')).toHaveText(/paused/);
    const paused = Number(await page.getByTestId('step').textContent());

    await openEmbeddingView(page);
    const view = page.getByTestId('embedding');
    await expect(view).toHaveAttribute('data-points', String(PROBE), { timeout: 60_000 });
    // The view shows the newest encoding (the last even step), not the first one it laid out.
    await expect(view.locator('header p')).toHaveText(new RegExp(`at step ${paused - (paused % 2)}[.,]`), { timeout: 60_000 });
    await expect(page.getByTestId('embed-knnTrained')).toHaveText(/\d+\.\d%/);

    // Hover the first point (the scatter publishes where it drew it, in canvas CSS pixels).
    const scatter = view.locator('.scatter');
    const xy = (await scatter.getAttribute('data-first-xy'))!.split(',').map(Number);
    const box = (await scatter.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + xy[0], box.y + xy[1]);
    const tip = page.getByTestId('embed-tooltip');
    await expect(tip).toBeVisible();
    await expect(tip.locator('canvas')).toHaveCount(1);

    // Click pins it and lists its neighbours.
    await page.mouse.down();
    await page.mouse.up();
    await expect(page.getByTestId('embed-neighbours')).toBeVisible();

    const vectors = await download(page, 'export-vectors');
    expect(vectors.name).toBe('vectors.tsv');
    const vrows = vectors.text.trimEnd().split('\n');
    expect(vrows).toHaveLength(PROBE);
    expect(vrows[0].split('\t')).toHaveLength(32); // tiny preset nRkhs

    const meta = await download(page, 'export-metadata');
    const mrows = meta.text.trimEnd().split('\n');
    expect(mrows).toHaveLength(PROBE + 1); // header + one row per point
    expect(mrows[0]).toBe('label\tfile');

    const config = JSON.parse((await download(page, 'export-config')).text);
    expect(config.embeddings[0].tensorShape).toEqual([PROBE, 32]);
    expect((await download(page, 'export-sprite')).bytes).toBeGreaterThan(100);
    expect((await download(page, 'export-png')).name).toMatch(/\.png$/);

    // 3-D and the alternative views keep every point.
    await page.getByTestId('embed-dim-3').click();
    await expect(view).toHaveAttribute('data-points', String(PROBE));
    await page.getByRole('radio', { name: 'PCA' }).click();
    await expect(view.locator('.status')).toContainText('PCA done');
    expect(errors).toEqual([]);
  });
});
