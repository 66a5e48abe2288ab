import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Download } from '@playwright/test';
import { png } from './png';

const PY = process.env.INFOMAX_PYTHON || '/usr/bin/python3';
const root = fileURLToPath(new URL('..', import.meta.url));
const hasTorch = spawnSync(PY, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;

/** Two classes of patterned photos in sub-folders, as a user's labelled folder. */
function photos(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'infomax-bundle-')), 'pets');
  for (const [c, kind] of [['cats', 0], ['dogs', 1]] as const) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const t = (i * 29) & 255;
      writeFileSync(join(dir, c, `IMG_${String(i).padStart(4, '0')}.png`), png(40, 36, (x, y) => (kind === 0 ? [(x * 6) & 255, t, 40] : [t, (y * 7) & 255, 200])));
    }
  }
  return dir;
}

test('a page run continues in the PyTorch twin and comes back with its embedding map', async ({ page }) => {
  test.skip(!hasTorch, `${PY} has no torch/Pillow (npm run test:py installs them as root on Debian)`);
  test.setTimeout(420_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000');

  const dir = photos();
  await page.getByTestId('nav-data').click();
  await page.getByTestId('folder-input').setInputFiles(dir);
  await expect(page.getByTestId('dataset-summary')).toHaveAttribute('data-count', '24');
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('step-once')).toBeEnabled({ timeout: 120_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 60_000 });

  // Continue in PyTorch: the bundle downloads as four files
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByTestId('bundle-export').click();
  await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(4);
  const bundle = mkdtempSync(join(tmpdir(), 'infomax-bundle-out-'));
  for (const d of downloads) writeFileSync(join(bundle, d.suggestedFilename()), readFileSync((await d.path())!));
  await expect(page.getByTestId('bundle-command')).toContainText('--resume .');

  // the twin resumes it for two more steps on the same folder (the README's command line)
  const out = join(bundle, 'continued');
  const log = execFileSync(PY, ['-m', 'infomax_lab.train', '--config', 'config.json', '--data', dir, '--resume', '.', '--out', out, '--steps', '2'], {
    cwd: bundle,
    env: { ...process.env, PYTHONPATH: join(root, 'python'), OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(log).toContain('resumed from . at step 1');
  const state = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(state.ndf).toBe(8);

  // back to the page: weights, Adam state and probe of step 3
  await page.getByTestId('bundle-import').setInputFiles(['config.json', 'weights.safetensors', 'optimizer.safetensors'].map((f) => join(out, f)));
  await expect(page.getByTestId('bundle-status')).toContainText('at step 3');
  await expect(page.getByTestId('step')).toHaveText('3', { timeout: 120_000 });
  await page.getByTestId('nav-embed').click();
  const map = page.getByTestId('embedding');
  await expect.poll(async () => Number(await map.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('embed-knnTrained')).toHaveText(/\d+(\.\d+)?\s*%/, { timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(errors).toEqual([]);
});
