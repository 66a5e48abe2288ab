/**
 * Offline use and updates on the page side (the service worker is src/sw.ts). Registration goes through
 * vite-plugin-pwa's `virtual:pwa-register` (workbox-window) in prompt mode: a new version installs in the
 * background while this tab keeps running the old one (its files stay cached), and the page offers
 * "A new version is ready · Reload". Nothing reloads on its own: only the user's click does, and only
 * after the training run is paused and checkpointed; the reloaded page continues that run.
 */
import type { TrainerClient } from '../lib/worker/client.svelte';

/** sessionStorage key: the run to continue after an update reload. */
const RESUME_AFTER_UPDATE = 'infomax-lab:resume-after-update';
/** How often an open tab asks the server for a new version (also whenever the tab becomes visible). */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export class AppUpdate {
  /** A new version is installed and waiting, or already active because another tab reloaded into it. */
  ready = $state(false);
  /** The app is cached and works offline from now on. */
  offlineReady = $state(false);
  /** What the Reload button is doing ('' when idle), or why it stopped. */
  status = $state('');
  /** The run could not be saved in time; the user may still reload. */
  saveFailed = $state(false);
  #updateSW: (() => Promise<void>) | null = null;
  #registration: ServiceWorkerRegistration | null = null;
  #requested = false;

  /** Register the service worker (production builds in a secure context only; dev serves changing modules). */
  start(): void {
    if (import.meta.env.DEV || !('serviceWorker' in navigator) || !window.isSecureContext) return;
    import('virtual:pwa-register')
      .then(({ registerSW }) => {
        this.#updateSW = registerSW({
          onNeedRefresh: () => (this.ready = true),
          onOfflineReady: () => (this.offlineReady = true),
          // The new version took control. Reload only if this tab asked for it; another tab's choice
          // leaves this one running (its old files stay cached) with the banner shown.
          onNeedReload: () => (this.#requested ? this.#reloadOnce() : (this.ready = true)),
          onRegisteredSW: (_url, r) => this.#watch(r ?? null),
          onRegisterError: (e: unknown) => console.warn('InfoMax Lab: service worker not registered (offline use unavailable):', e),
        });
      })
      .catch((e: unknown) => console.warn('InfoMax Lab: service worker registration unavailable:', e));
  }

  #watch(r: ServiceWorkerRegistration | null): void {
    this.#registration = r;
    if (!r) return;
    const check = () => void r.update().catch(() => {}); // offline: try again later
    setInterval(check, CHECK_EVERY_MS);
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
    // Another tab applied the update: this tab now runs an older version than the active worker. (A page
    // that had no worker yet, on a first visit, is merely taken over by the first one: nothing to offer.)
    const hadController = navigator.serviceWorker.controller !== null;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (hadController && !this.#requested) this.ready = true;
    });
  }

  #reloaded = false;
  #reloadOnce(): void {
    if (this.#reloaded) return;
    this.#reloaded = true;
    location.reload();
  }

  /** The banner's Reload: checkpoint the run, then switch to the new version and reload. */
  async reload(trainer: TrainerClient, force = false): Promise<void> {
    if (this.status && !this.saveFailed) return; // already under way
    this.saveFailed = false;
    if (!force) {
      this.status = 'Saving the run…';
      if (!(await trainer.saveBeforeReload())) {
        this.status = 'The run could not be saved, so the page was not reloaded.';
        this.saveFailed = true;
        return;
      }
    }
    if (trainer.step > 0 && trainer.runKey) sessionStorage.setItem(RESUME_AFTER_UPDATE, trainer.runKey);
    this.status = 'Reloading…';
    this.#requested = true;
    const waiting = this.#registration?.waiting;
    if (waiting && this.#updateSW) {
      navigator.serviceWorker.addEventListener('controllerchange', () => this.#reloadOnce(), { once: true });
      await this.#updateSW(); // SKIP_WAITING to the new worker; its taking control reloads the page
    } else this.#reloadOnce(); // the new version is already active (another tab switched)
  }

  /** After an update reload: continue the run that was open (paused, from its checkpoint). */
  continueRun(trainer: TrainerClient): void {
    const key = sessionStorage.getItem(RESUME_AFTER_UPDATE);
    if (!key) return;
    sessionStorage.removeItem(RESUME_AFTER_UPDATE);
    if (trainer.resumable?.runKey === key) trainer.resume(trainer.resumable);
  }
}

export const appUpdate = new AppUpdate();
