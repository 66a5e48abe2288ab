/**
 * Debug hooks for browser tests (`window.__infomax`: lose the GPU device, poison a step, reach the client).
 * They are installed only when a test asks for them, so a production page exposes nothing extra: a
 * `test-hooks` query parameter (`/?test-hooks#…`), or `localStorage['infomax-test-hooks'] = '1'`, which the
 * e2e specs set before the page loads.
 */
export const TEST_HOOKS_KEY = 'infomax-test-hooks';

export function testHooksWanted(): boolean {
  if (new URLSearchParams(location.search).has('test-hooks')) return true;
  try {
    return localStorage.getItem(TEST_HOOKS_KEY) === '1';
  } catch {
    return false; // storage blocked (private mode, sandboxed frame): no flag, no hooks
  }
}
