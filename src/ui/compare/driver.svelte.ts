/**
 * Trains a comparison's runs on the page's trainer: reset to the run's config, train to its step budget,
 * let the recorder save it, then the next. Arms run with several seeds, interleaved (A s1, B s1, A s2,
 * B s2, …) so a slow machine or a thermal change hits every arm alike. The same worker, model code and
 * data for every run, so only the settings that differ (and the seed) can explain the curves.
 * Waits react to the trainer's state (runes), no polling. When it ends, the trainer gets back the
 * settings it had before, so the Train view is not left on B's recipe.
 */
import type { Config } from '../../lib/config';
import type { TrainerClient } from '../../lib/worker/client.svelte';
import type { PlannedRun } from '../../lib/runs/arms';
import { recorder } from './recorder.svelte';

export { interleave, type PlannedRun } from '../../lib/runs/arms';

export interface Running {
  index: number;
  total: number;
  /** Arm index (0 = A) and seed of the run in progress. */
  arm: number;
  seed: number;
  name: string;
  target: number;
}

export class ComparisonDriver {
  running = $state.raw<Running | null>(null);
  error = $state<string | null>(null);
  #cancelled = $state(false);

  cancel(): void {
    this.#cancelled = true;
  }

  /**
   * Train every planned run for `config.steps` steps (or `fallbackSteps` where a config trains until
   * paused), then reset the trainer to `restore`. Resolves to the saved run ids, in plan order.
   */
  async run(client: TrainerClient, plan: PlannedRun[], fallbackSteps: number, restore?: Config): Promise<string[] | null> {
    if (this.running) return null;
    this.#cancelled = false;
    this.error = null;
    const ids: string[] = [];
    try {
      for (let i = 0; i < plan.length; i++) {
        const { config: cfg, name, arm, seed } = plan[i];
        const target = cfg.steps > 0 ? cfg.steps : fallbackSteps;
        this.running = { index: i, total: plan.length, arm, seed, name, target };
        client.reset(cfg);
        recorder.setName(name);
        const key = client.runKey;
        await this.#until(client, key, () => client.state !== 'loading');
        client.start();
        // A run with a step limit ends 'done' after its final held-out evaluation; wait for that.
        await this.#until(client, key, () => client.state === 'done' || client.state === 'paused' || (cfg.steps === 0 && client.step >= target));
        if (client.state === 'training') {
          client.pause();
          await this.#until(client, key, () => client.state !== 'training');
        }
        const id = await recorder.save();
        if (!id) throw new Error(recorder.error ?? `run ${name} produced no metrics to save`);
        ids.push(id);
      }
      return ids;
    } catch (e) {
      if (client.state === 'training') client.pause();
      this.error = (e as Error).message;
      return null;
    } finally {
      this.running = null;
      // Back to the settings the Train view had (a fresh run; the comparison's runs are saved).
      if (restore) client.reset(restore);
    }
  }

  /** Resolves when `ok()` holds; rejects on stop, on an error, or when the trainer was reset elsewhere. */
  #until(client: TrainerClient, runKey: string, ok: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const stop = $effect.root(() => {
        $effect(() => {
          if (done) return;
          let fail: string | null = null;
          if (this.#cancelled) fail = 'Comparison stopped; the runs finished so far are saved';
          else if (client.runKey !== runKey) fail = 'Comparison interrupted: the trainer was reset elsewhere';
          else if (client.state === 'error') fail = `Training failed: ${client.errors.at(-1)?.message ?? 'see the error above'}`;
          const pass = !fail && ok();
          if (!fail && !pass) return;
          done = true;
          // an effect cannot destroy its own root while it runs
          queueMicrotask(() => stop());
          if (fail) reject(new Error(fail));
          else resolve();
        });
      });
    });
  }
}
