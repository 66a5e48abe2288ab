import { expect, test, type Page } from '@playwright/test';
import { withTestHooks } from './hooks';

// Small splits: the first evaluation (and its random-encoder baseline) stays quick on a busy CPU.
const URL = '/#preset=tiny&backend=cpu&embedEvery=1000&trainCount=64&testCount=32&probeSize=16';
const stepOf = async (page: Page) => Number(await page.getByTestId('step').textContent());
test.beforeEach(({ page }) => withTestHooks(page));

const chartPoints = async (page: Page) => Number(await page.getByTestId('mi-chart').getAttribute('data-points'));

test('a reloaded tab resumes the run: the step count and the curve continue', async ({ page }) => {
  await page.goto(URL);
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  await page.getByTestId('train-toggle').click();
  await expect.poll(() => stepOf(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(4);
  await page.getByTestId('train-toggle').click();
  await expect(page.getByTestId('run-state')).toHaveText(/paused/);
  const paused = await stepOf(page);
  // Pausing saves a checkpoint.
  await expect(page.getByTestId('debug-checkpoint')).toContainText(`step ${paused}`);
  expect(await chartPoints(page)).toBe(paused);

  await page.reload();
  await expect(page.getByTestId('resume-banner')).toContainText(`step ${paused}`);
  await page.getByTestId('resume-run').click();
  await expect(page.getByTestId('step')).toHaveText(String(paused));
  await expect.poll(() => chartPoints(page)).toBe(paused);
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText(String(paused + 1));
  await expect.poll(() => chartPoints(page)).toBe(paused + 1);
});

/** Open the page, take one step and save a checkpoint of it from the debug panel. */
async function oneStepSaved(page: Page): Promise<void> {
  await page.goto(URL);
  await expect(page.getByTestId('step-once')).toBeEnabled();
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1');
  await page.getByTestId('debug-panel').locator('summary').click();
  await page.getByTestId('save-checkpoint').click();
  await expect(page.getByTestId('debug-checkpoint')).toContainText('step 1');
}

test('a NaN loss stops training, restores the last good checkpoint and names the term', async ({ page }) => {
  await oneStepSaved(page);
  await page.evaluate(() => (window as unknown as { __infomax: { debug(a: string): void } }).__infomax.debug('nan'));
  await page.getByTestId('train-toggle').click();
  await expect(page.getByTestId('errors')).toContainText(/L 1→5 became NaN/);
  await expect(page.getByTestId('errors')).toContainText('checkpoint (step 1)');
  await expect(page.getByTestId('step')).toHaveText('1');
  await expect(page.getByTestId('run-state')).toHaveText(/paused/);
});

test('discarding the offer to resume deletes that saved run: it is not offered again', async ({ page }) => {
  await oneStepSaved(page);

  await page.reload();
  await expect(page.getByTestId('resume-banner')).toContainText('step 1');
  await page.getByTestId('discard-run').click();
  await expect(page.getByTestId('resume-banner')).toHaveCount(0);
  // The checkpoint itself is gone, not only the offer (the app clears the offer, then deletes the checkpoint:
  // once no checkpoint is left, both writes are done and a reload may follow).
  const ckKeys = () => page.evaluate(async () => {
    const req = indexedDB.open('infomax-lab');
    const db: IDBDatabase = await new Promise((ok, ko) => ((req.onsuccess = () => ok(req.result)), (req.onerror = () => ko(req.error))));
    const names = Array.from(db.objectStoreNames);
    const keys: string[] = [];
    for (const n of names) {
      const all: IDBValidKey[] = await new Promise((ok) => {
        const r = db.transaction(n).objectStore(n).getAllKeys();
        r.onsuccess = () => ok(r.result);
      });
      keys.push(...all.map(String));
    }
    db.close();
    return keys.filter((k) => k.startsWith('ck:'));
  });
  await expect.poll(ckKeys).toEqual([]);
  await page.reload();
  await expect(page.getByTestId('train-toggle')).toBeEnabled();
  await expect(page.getByTestId('resume-banner')).toHaveCount(0);
});
