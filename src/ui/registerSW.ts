/**
 * Register the service worker that build/offline.ts writes next to index.html. Production builds only:
 * the dev server has no sw.js and serves changing modules that must not be cached. The URL is relative
 * to the document, so the scope is whatever folder the app is served from.
 */
export function registerSW(): void {
  if (import.meta.env.DEV || !('serviceWorker' in navigator) || !window.isSecureContext) return;
  const register = () =>
    navigator.serviceWorker.register('./sw.js').catch((e: unknown) => {
      // Offline use is an extra: the app works online without it.
      console.warn('InfoMax Lab: service worker not registered (offline use unavailable):', e);
    });
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
