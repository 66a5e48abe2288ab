import { expect, test, type Download } from '@playwright/test';
import { readFileSync } from 'node:fs';

test('the encoder downloads as a TF.js model and imports back; a model of another shape is refused', async ({ page }) => {
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&probeSize=16&trainCount=64&testCount=32');
  await expect(page.getByTestId('step-once')).toBeEnabled();
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1');

  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByTestId('model-export').click();
  await expect.poll(() => downloads.length).toBe(2);
  const files = await Promise.all(
    downloads.map(async (d) => ({ name: d.suggestedFilename(), mimeType: 'application/octet-stream', buffer: readFileSync((await d.path())!) })),
  );
  const json = JSON.parse(files.find((f) => f.name === 'model.json')!.buffer.toString('utf8'));
  expect(json.format).toBe('graph-model');
  expect(files.map((f) => f.name).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);

  // Same shape: accepted.
  await page.getByTestId('model-import').setInputFiles(files);
  await expect(page.getByTestId('notice')).toContainText('Encoder weights imported');

  // Another width: refused, naming the mismatch.
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&ndf=4&probeSize=16&trainCount=64&testCount=32');
  await expect(page.getByTestId('step-once')).toBeEnabled();
  await page.getByTestId('model-import').setInputFiles(files);
  await expect(page.getByTestId('model-error')).toContainText(/expected \[.*\], got \[/);
});
