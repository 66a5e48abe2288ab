import type { BrowserContext, Page } from '@playwright/test';

/** Ask the app for its debug hooks (`window.__infomax`) on every page load: they are off unless a test asks. */
export async function withTestHooks(target: Page | BrowserContext): Promise<void> {
  await target.addInitScript(() => {
    try {
      localStorage.setItem('infomax-test-hooks', '1');
    } catch {
      // about:blank has no storage; the app's own pages do
    }
  });
}
