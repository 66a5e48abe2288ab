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

async function importAndTrain(page: Page, dir: string, name: string, classes: number, count: number, tags = false): Promise<void> {
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
  // One click pins the photo in the hover card, even if the layout moved it since the pointer stopped.
  const more = page.getByTestId('more-like-this');
  await expect.poll(hoverFirst).toMatch(/sunsets|cluster/);
  await page.mouse.down();
  await page.mouse.up();
  await expect(more).toBeVisible({ timeout: 5000 });
  await expect(more).toHaveAttribute('data-count', '12');
  await expect(more).toContainText(`Closest of all ${count} imported photos`);
  // N pins the next photo on the map, Shift+N the previous one (the keyboard's way to pick photos to tag)
  const num = page.getByTestId('embed-neighbours').locator('header .num');
  const points = Number(await map.getAttribute('data-points'));
  const k = Number((await num.textContent())!.replace('#', ''));
  await scatter.focus();
  await page.keyboard.press('n');
  await expect(num).toHaveText(`#${(k + 1) % points}`);
  await page.keyboard.press('Shift+N');
  await expect(num).toHaveText(`#${k}`);
  if (tags) await labelAFew(page);
  else {
    // an explicit "tag all in this cluster" tags the named cluster's untagged photos with its name
    const all = page.getByTestId('tag-cluster');
    const count = Number((await all.textContent())!.match(/Tag the (\d+) untagged/)![1]);
    await expect(all).toContainText('of sunsets as “sunsets”');
    await all.click();
    await expect(page.getByTestId('tag-list')).toHaveAttribute('data-count', String(count));
    await expect(page.getByTestId('tag-shortfall')).toContainText('at least two kinds');
  }

  // the same map from a random encoder and from raw pixels, at the press of a key
  for (const [key, source] of [['2', 'random'], ['3', 'pixels'], ['1', 'trained']] as const) {
    await scatter.focus();
    await page.keyboard.press(key);
    await expect(map).toHaveAttribute('data-source', source);
    await expect.poll(async () => Number(await map.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
  }
}

/**
 * "Label a few": tag the pinned photo and three neighbours (two tags, two photos each) and see the
 * cross-validated scores with n = 4 and the small-n warning; a tag can be removed; tags survive a reload.
 */
async function labelAFew(page: Page): Promise<void> {
  const panel = page.getByTestId('tag-panel');
  const input = panel.getByTestId('tag-input');
  /** Tag the pinned photo, then pin the nearest neighbour that has no tag yet. */
  const tagAndMove = async (name: string, move = true) => {
    await input.fill(name);
    await panel.getByTestId('tag-add').click();
    await expect(panel.getByTestId('tag-current')).toHaveText(name);
    if (move) await page.getByTestId('embed-neighbours').locator('button.nb').filter({ hasNotText: 'your tag' }).first().click();
  };
  await tagAndMove('stripes');
  await tagAndMove('stripes');
  await expect(panel.getByTestId('tag-shortfall')).toContainText('at least two kinds');
  await tagAndMove('dots');
  await tagAndMove('dots', false);
  await expect(panel.getByTestId('tag-list')).toHaveAttribute('data-count', '4');
  const scores = panel.getByTestId('tag-scores');
  await expect(scores).toHaveAttribute('data-n', '4', { timeout: 60_000 });
  for (const id of ['tag-knn-trained', 'tag-linear-random', 'tag-knn-pixels']) await expect(scores.getByTestId(id)).toContainText(/\d+\.\d% n = 4/);
  await expect(scores.getByTestId('tag-scores-small')).toContainText('Only 4 tagged photos');

  // a tag can be removed (then one tag has a single photo: no scores), and put back
  await panel.getByTestId('tag-clear').click();
  await expect(panel.getByTestId('tag-list')).toHaveAttribute('data-count', '3');
  await expect(panel.getByTestId('tag-shortfall')).toContainText('at least 2 photos');
  await expect(scores).toHaveCount(0);
  await tagAndMove('dots', false);
  await expect(panel.getByTestId('tag-scores')).toHaveAttribute('data-n', '4', { timeout: 60_000 });

  // tags stay with the dataset across a reload
  await page.reload();
  await page.getByTestId('nav-embed').click();
  await expect(page.getByTestId('tag-list')).toHaveAttribute('data-count', '4', { timeout: 180_000 });
  await expect(page.getByTestId('tag-scores')).toHaveAttribute('data-n', '4', { timeout: 60_000 });
}

test('a flat folder and a one-class folder import, train and show their photos on the map', async ({ page }) => {
  test.setTimeout(720_000); // two imports, two short trainings, a reload and seven maps on a software backend
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=2&evalPace=every');

  await importAndTrain(page, makePhotos('holiday-flat', 30, null), 'holiday-flat', 0, 30, true);
  await importAndTrain(page, makePhotos('garden-one', 24, 'roses'), 'garden-one', 1, 24);

  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});
