import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { storeKeys } from './hooks';
import { png } from './png';

/** photos/<class>/*.png plus broken files; returns the folder and what the import should report. */
function makeFolder(): { dir: string; count: number; classes: number; skipped: number } {
  const dir = join(mkdtempSync(join(tmpdir(), 'infomax-import-')), 'photos');
  const classes: Record<string, [number, number, number]> = { red: [220, 40, 30], blue: [30, 60, 220], '<i>"odd" class<i> 🙂': [40, 200, 80] };
  let count = 0;
  for (const [name, [r, g, b]] of Object.entries(classes)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < 5; i++) {
      // a gradient with a class colour, in landscape and portrait, so the centre crop has work to do
      const [w, h] = i % 2 ? [48, 36] : [30, 44];
      writeFileSync(join(dir, name, `img ${i}.png`), png(w, h, (x, y) => [(r + x * 2) & 255, (g + y * 3) & 255, (b + i * 10) & 255]));
      count++;
    }
    writeFileSync(join(dir, name, 'same-name.png'), png(40, 40, () => [r, g, b])); // duplicate name in every class
    count++;
  }
  writeFileSync(join(dir, 'red', `quote"'<i>emoji🙂.png`), png(32, 32, (x) => [x * 8, 0, 0]));
  count++;
  const good = png(40, 40, () => [1, 2, 3]);
  writeFileSync(join(dir, 'blue', 'notes.txt'), 'not a picture');
  writeFileSync(join(dir, 'blue', 'empty.png'), Buffer.alloc(0));
  writeFileSync(join(dir, 'blue', 'truncated.png'), good.subarray(0, 60));
  writeFileSync(join(dir, 'blue', 'one-pixel.png'), png(1, 1, () => [9, 9, 9]));
  writeFileSync(join(dir, 'red', 'corrupt.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]));
  return { dir, count, classes: 3, skipped: 5 };
}

test('imports a folder, survives a reload, and trains on the cached dataset', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const folder = makeFolder();

  // the tiny preset (batch 4) so a software-emulated GPU trains a step in seconds
  await page.goto('/#preset=tiny&embedEvery=1000');
  await page.getByTestId('nav-data').click();
  await page.getByTestId('folder-input').setInputFiles(folder.dir);

  const summary = page.getByTestId('dataset-summary');
  await expect(summary).toHaveAttribute('data-count', String(folder.count));
  await expect(summary).toHaveAttribute('data-classes', String(folder.classes));
  await expect(summary).toHaveAttribute('data-skipped', String(folder.skipped));
  const skipped = page.getByTestId('skipped-list');
  await expect(skipped).toContainText('notes.txt');
  await expect(skipped).toContainText(/empty\.png — empty file/);
  await expect(skipped).toContainText(/one-pixel\.png — too small: 1×1 px/);
  await expect(skipped).toContainText(/truncated\.png — corrupt or truncated PNG/);
  await expect(skipped).toContainText(/corrupt\.jpg — corrupt or truncated JPEG/);
  // names are text, never markup
  const card = page.getByTestId('dataset-list').locator('[data-testid=dataset-card]').filter({ hasText: 'photos' });
  await expect(card).toContainText('<i>"odd" class<i> 🙂');
  expect(await page.locator('main i, [data-testid=dataset-list] i, [data-testid=dataset-summary] i').count()).toBe(0);
  await expect(card.getByTestId('dataset-select')).toHaveText(/Selected/);

  await page.reload();
  await page.getByTestId('nav-data').click();
  const list = page.getByTestId('dataset-list');
  await expect(list.locator('[data-testid=dataset-card]').first()).toContainText('Embedded shapes');
  const cached = list.locator('[data-testid=dataset-card]').filter({ hasText: 'photos' });
  await expect(cached).toContainText(`${folder.count} images`);
  await cached.getByTestId('dataset-select').click();
  await expect(cached.getByTestId('dataset-select')).toHaveText(/Selected/);

  if (process.env.E2E_SKIP_TRAIN !== '1') {
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-toggle').click();
    await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 120_000 }).toBeGreaterThan(0);
  }
  expect(errors).toEqual([]);
});

/** `n` PNG photos of w×h in `dir`, from 4 distinct images (decoding is per file, so repeats cost the same). */
function photos(dir: string, n: number, w: number, h: number): void {
  mkdirSync(dir, { recursive: true });
  const distinct = Array.from({ length: 4 }, (_, k) => png(w, h, (x, y) => [(x * (k + 1)) & 255, (y + k * 30) & 255, (x ^ y ^ (k * 17)) & 255]));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `${String(i).padStart(4, '0')}.png`), distinct[i % 4]);
}

test('an import shows its time left while it runs; cancelling the next one mid-way saves nothing and keeps the earlier dataset', async ({ page }) => {
  test.setTimeout(300_000);
  const root = mkdtempSync(join(tmpdir(), 'infomax-cancel-'));
  photos(join(root, 'earlier'), 200, 640, 480);
  photos(join(root, 'many', 'a'), 300, 1600, 1200);
  await page.goto('/');
  await page.getByTestId('nav-data').click();
  const cards = page.getByTestId('dataset-list').locator('[data-testid=dataset-card]');
  await expect(cards).toHaveCount(1); // the embedded dataset

  // a completed import: while it runs, the bar gives a time left (after its first second), then the summary
  await page.getByTestId('folder-input').setInputFiles(join(root, 'earlier'));
  await expect(page.getByTestId('import-eta')).toHaveText(/^about \d+ (s|min \d+ s) left$/);
  await expect(page.getByTestId('dataset-summary')).toHaveAttribute('data-count', '200');
  await expect(cards).toHaveCount(2);
  const before = await storeKeys(page);
  const earlierId = before.find((k) => k.endsWith(':m') && k.startsWith('ds:'))!.split(':')[1];

  // the next import is cancelled part-way: after some files, well before the last
  await page.getByTestId('folder-input').setInputFiles(join(root, 'many'));
  const progress = page.getByTestId('import-progress');
  await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 120_000 }).toBeGreaterThan(0);
  expect(Number(await progress.getAttribute('data-done'))).toBeLessThan(300);
  await page.getByTestId('import-cancel').click();
  await expect(page.getByText(/Import cancelled; nothing was saved/)).toBeVisible();

  // nothing of it is left in storage (no chunk, no liveness mark), and the earlier dataset is whole
  await expect.poll(async () => (await storeKeys(page)).filter((k) => k.startsWith('ds:') && !k.startsWith(`ds:${earlierId}:`))).toEqual([]);
  expect((await storeKeys(page)).filter((k) => k.startsWith(`ds:${earlierId}:`)).sort()).toEqual(before.filter((k) => k.startsWith(`ds:${earlierId}:`)).sort());
  await page.reload();
  await page.getByTestId('nav-data').click();
  await expect(cards).toHaveCount(2);
  await expect(cards.filter({ hasText: 'earlier' })).toContainText('200 images');
});
