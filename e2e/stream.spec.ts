import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

test.setTimeout(420_000);

/**
 * CIFAR-10 binary files (a label byte, then 1,024 red, green and blue bytes) with `train` and `test`
 * records: enough training images (more than the cache's 2 × 8 chunks of 256) that the page streams them.
 */
function cifarFiles(train: number, test: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'infomax-stream-'));
  const records = (n: number, from: number) => {
    const b = Buffer.alloc(n * 3073);
    for (let i = 0; i < n; i++) {
      const o = i * 3073, label = (from + i) % 10;
      b[o] = label;
      for (let k = 0; k < 3072; k++) b[o + 1 + k] = (label * 25 + ((k % 1024) >> 5) * 6 + (((from + i) * 13) & 31)) & 255;
    }
    return b;
  };
  const files = [join(dir, 'data_batch_1.bin'), join(dir, 'test_batch.bin')];
  writeFileSync(files[0], records(train, 0));
  writeFileSync(files[1], records(test, 100_000));
  return files;
}

test('a training split larger than the cache is streamed from storage: the page says so and trains from it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&embedEvery=1000&probeSize=64');
  await page.getByTestId('nav-data').click();
  await page.getByTestId('binary-input').setInputFiles(cifarFiles(4500, 300));
  await expect(page.getByTestId('dataset-summary')).toHaveAttribute('data-count', '4800', { timeout: 120_000 });

  await page.getByTestId('nav-train').click();
  // Train pressed while the run gets ready: it starts after the warm-up, without the first evaluation
  // (1,000 training images through three feature sets take minutes on a shared CPU; unit tests cover it)
  await page.getByTestId('train-toggle').click();
  // 4,500 images are 18 chunks: more than the cache's 16, so training streams them
  await expect(page.getByTestId('dataset-streamed')).toContainText('streamed, cache ≤ 12 MiB', { timeout: 120_000 });
  await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await page.getByTestId('train-toggle').click();
  expect(errors).toEqual([]);
});
