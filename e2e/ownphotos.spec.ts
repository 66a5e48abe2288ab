import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { png } from './png';

/** `n` photos of a few kinds of pattern, either straight in the folder (flat) or in one sub-folder. */
function makePhotos(name: string, n: number, sub: string | null): string {
  const root = join(mkdtempSync(join(tmpdir(), 'infomax-own-')), name);
  const dir = sub ? join(root, sub) : root;
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    const tint = (i * 37) & 255;
    writeFileSync(
      join(dir, `IMG_${String(i).padStart(4, '0')}.png`),
      png(40, 36, (x, y) => (kind === 0 ? [(x * 6) & 255, tint, 40] : kind === 1 ? [tint, (y * 7) & 255, 200] : [((x ^ y) * 8) & 255, 90, tint])),
    );
  }
  return root;
}

async function importAndTrain(page: Page, dir: string, name: string, classes: number, count: number): Promise<void> {
  await page.getByTestId('nav-data').click();
  await page.getByTestId('folder-input').setInputFiles(dir);
  const summary = page.getByTestId('dataset-summary');
  await expect(summary).toHaveAttribute('data-count', String(count));
  await expect(summary).toHaveAttribute('data-classes', String(classes));
  const card = page.getByTestId('dataset-list').locator('[data-testid=dataset-card]').filter({ hasText: name });
  await expect(card.getByTestId('dataset-select')).toHaveText(/Selected/);

  await page.getByTestId('nav-train').click();
  // the probe panel says why there is no score instead of a number or an error
  await expect(page.getByTestId('no-labels')).toContainText('no labels');
  await expect(page.getByTestId('acc-no-labels')).toBeVisible();
  const toggle = page.getByTestId('train-toggle');
  await expect(toggle).toBeEnabled({ timeout: 120_000 });
  await toggle.click();
  await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 150_000 }).toBeGreaterThanOrEqual(3);
  await toggle.click();

  // the held-out photos are on the map
  await page.getByTestId('nav-embed').click();
  const map = page.getByTestId('embedding');
  await expect.poll(async () => Number(await map.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('embed-no-labels')).toBeVisible();
  // coloured by cluster, and the cluster of the photo under the mouse can be named
  const scatter = map.locator('.scatter');
  const tip = page.getByTestId('embed-tooltip');
  /** Hover photo 0 where it is drawn now (t-SNE may still be moving it). */
  const hoverFirst = async () => {
    const xy = (await scatter.getAttribute('data-first-xy'))!.split(',').map(Number);
    const box = (await scatter.locator('canvas').first().boundingBox())!;
    await page.mouse.move(box.x + 1, box.y + 1);
    await page.mouse.move(box.x + xy[0], box.y + xy[1]);
    return (await tip.textContent({ timeout: 2000 }).catch(() => '')) ?? '';
  };
  await expect.poll(hoverFirst).toMatch(/cluster \d+/);
  const c = Number((await hoverFirst()).match(/cluster (\d+)/)![1]);
  const field = map.getByTestId('cluster-name').nth(c - 1);
  await field.fill('sunsets');
  await field.dispatchEvent('change');
  await expect.poll(hoverFirst).toContain('sunsets');

  // click a photo: more like this, among all imported photos
  const more = page.getByTestId('more-like-this');
  await expect
    .poll(async () => {
      await hoverFirst();
      await page.mouse.down();
      await page.mouse.up();
      return more.isVisible();
    })
    .toBe(true);
  await expect(more).toHaveAttribute('data-count', '12');
  await expect(more).toContainText(`Closest of all ${count} imported photos`);

  // the same map from a random encoder and from raw pixels, at the press of a key
  for (const [key, source] of [['2', 'random'], ['3', 'pixels'], ['1', 'trained']] as const) {
    await scatter.focus();
    await page.keyboard.press(key);
    await expect(map).toHaveAttribute('data-source', source);
    await expect.poll(async () => Number(await map.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
  }
}

test('a flat folder and a one-class folder import, train and show their photos on the map', async ({ page }) => {
  test.setTimeout(480_000); // two imports, two short trainings and six maps on a software backend
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=2');

  await importAndTrain(page, makePhotos('holiday-flat', 30, null), 'holiday-flat', 0, 30);
  await importAndTrain(page, makePhotos('garden-one', 24, 'roses'), 'garden-one', 1, 24);

  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});
