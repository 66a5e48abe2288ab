/**
 * Trains a comparison's runs one after the other on the page's trainer: reset to the run's config, train
 * to its step budget, let the recorder save it, then the next. The same worker, model code, data and seed
 * for every run, so only the settings that differ can explain the curves.
 */
import type { Config } from '../../lib/config';
import type { TrainerClient } from '../../lib/worker/client.svelte';
import { recorder } from './recorder.svelte';

export interface Running {
  index: number;
  total: number;
  name: string;
  target: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ComparisonDriver {
  running = $state.raw<Running | null>(null);
  error = $state<string | null>(null);
  #cancelled = false;

  cancel(): void {
    this.#cancelled = true;
  }

  /**
   * Train each config for `cfg.steps` steps (or `fallbackSteps` where a config trains until paused).
   * Resolves to the saved run ids, in order.
   */
  async run(client: TrainerClient, configs: Config[], names: string[], fallbackSteps: number): Promise<string[] | null> {
    if (this.running) return null;
    this.#cancelled = false;
    this.error = null;
    const ids: string[] = [];
    try {
      for (let i = 0; i < configs.length; i++) {
        const cfg = configs[i];
        const target = cfg.steps > 0 ? cfg.steps : fallbackSteps;
        this.running = { index: i, total: configs.length, name: names[i], target };
        client.reset(cfg);
        recorder.setName(names[i]);
        const cols = client.metrics;
        await this.#until(client, cols, () => client.state !== 'loading');
        client.start();
        await this.#until(client, cols, () => client.state === 'done' || client.state === 'paused' || client.step >= target);
        if (client.state === 'training') {
          client.pause();
          await this.#until(client, cols, () => client.state !== 'training');
        }
        const id = await recorder.save();
        if (!id) throw new Error(recorder.error ?? `run ${names[i]} produced no metrics to save`);
        ids.push(id);
      }
      return ids;
    } catch (e) {
      if (client.state === 'training') client.pause();
      this.error = (e as Error).message;
      return null;
    } finally {
      this.running = null;
    }
  }

  async #until(client: TrainerClient, cols: object, ok: () => boolean): Promise<void> {
    for (;;) {
      if (this.#cancelled) throw new Error('Comparison stopped; the runs finished so far are saved');
      if (client.metrics !== cols) throw new Error('Comparison interrupted: the trainer was reset elsewhere');
      if (client.state === 'error') throw new Error(`Training failed: ${client.errors.at(-1)?.message ?? 'see the error above'}`);
      if (ok()) return;
      await sleep(100);
    }
  }
}
