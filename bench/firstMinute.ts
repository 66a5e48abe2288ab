/**
 * The presenter's figures from the real page: time from opening the page to "ready" (Train enabled, no
 * warm-up or calibration in progress), from pressing Train to the first metrics point, and from pressing
 * Train until the MI estimate (mean of the three pairs' NCE estimates, MetricPoint.nceEst*, trailing mean of 5 logged points) has
 * risen 0.3 nats above its first value (the mean of the first 5 logged points, so one noisy batch does
 * not count as a rise; at least 10 points). Train is pressed as soon as the button accepts it, as a user would.
 */
import type { Page } from '@playwright/test';

export interface FirstMinute {
  backend: string;
  /** The calibration line next to the badge (empty when there is none). */
  choice: string;
  readySec: number | null;
  firstPointSec: number | null;
  riseSec: number | null;
  /** MI estimate (nats) at the first point and at the end of the watch. */
  miFirst: number | null;
  miLast: number | null;
  steps: number;
}

/** Read the page's MI estimate series (mean of the pairs) and the step counter. */
async function readMi(page: Page): Promise<{ mi: number[]; step: number }> {
  return page.evaluate(() => {
    const t = (window as unknown as { __infomax?: { trainer: { metrics: { cols: Record<string, number[]> }; step: number } } }).__infomax?.trainer;
    if (!t) return { mi: [], step: 0 };
    const c = t.metrics.cols;
    return { mi: c.nceEst1t5.map((v, i) => (v + c.nceEst1t7[i] + c.nceEst5t5[i]) / 3), step: t.step };
  });
}

const trailing = (xs: number[], i: number, n = 5) => {
  const s = xs.slice(Math.max(0, i - n + 1), i + 1);
  return s.reduce((a, b) => a + b, 0) / s.length;
};

/**
 * Open `url`, press Train as soon as it is enabled, and watch for up to `watchSec` seconds.
 * `ready` is measured separately: the moment the page is idle with no note (warm-up, calibration) shown.
 */
export async function firstMinute(page: Page, url: string, watchSec = 90, rise = 0.3): Promise<FirstMinute> {
  const t0 = Date.now();
  // The curves are read through the test hooks, which a page installs only when asked (ui/testHooks.ts).
  const u = new URL(url);
  u.searchParams.set('test-hooks', '');
  await page.goto(u.toString());
  const toggle = page.getByTestId('train-toggle');
  await toggle.waitFor({ state: 'visible' });
  await page.waitForFunction(() => !(document.querySelector('[data-testid=train-toggle]') as HTMLButtonElement | null)?.disabled, null, { timeout: 300_000, polling: 50 });
  const tPress = Date.now();
  await toggle.click();
  let readySec: number | null = null, firstPointSec: number | null = null, riseSec: number | null = null;
  let mi: number[] = [], step = 0;
  const end = tPress + watchSec * 1000;
  while (Date.now() < end) {
    const s = await page.evaluate(() => ({
      note: document.querySelector('[data-testid=run-note]')?.textContent ?? '',
      state: document.querySelector('[data-testid=run-state]')?.textContent ?? '',
    }));
    if (readySec === null && s.state === 'training' && !/warm|calibrat/i.test(s.note)) readySec = (Date.now() - t0) / 1000;
    ({ mi, step } = await readMi(page));
    if (firstPointSec === null && mi.length > 0) firstPointSec = (Date.now() - tPress) / 1000;
    if (riseSec === null && mi.length >= 10 && trailing(mi, mi.length - 1) - trailing(mi, 4) >= rise) riseSec = (Date.now() - tPress) / 1000;
    if (riseSec !== null) break;
    await page.waitForTimeout(200);
  }
  const backend = ((await page.getByTestId('backend').textContent()) ?? '?').trim();
  const choice = ((await page.getByTestId('choice').textContent().catch(() => '')) ?? '').trim();
  return { backend, choice, readySec, firstPointSec, riseSec, miFirst: mi.length >= 5 ? trailing(mi, 4) : null, miLast: mi.length ? trailing(mi, mi.length - 1) : null, steps: step };
}
