/**
 * Saves the trainer's current run to the store: when it pauses or finishes, and every ~30 s while it
 * trains. One record per run; a reset (the client swaps in fresh metric columns) starts a new record.
 * Page-side, because the page already holds the whole metric history the worker streamed.
 */
import { untrack } from 'svelte';
import { newId, saveRun } from '../../lib/data/store';
import { augPreset, matchAugPreset } from '../../lib/runs/augPresets';
import { EVAL_KEYS, METRIC_KEYS, toRecord, type RunData, type Series } from '../../lib/runs/serialize';
import type { Config } from '../../lib/config';
import type { TrainerClient } from '../../lib/worker/client.svelte';

export const AUTOSAVE_MS = 30_000;

export function defaultRunName(c: Config): string {
  const aug = matchAugPreset(c);
  return `${c.method === 'dim' ? 'DIM' : 'AMDIM'} · ${aug ? augPreset(aug).label : 'custom aug'} · seed ${c.seed}`;
}

function copy<K extends string>(src: { step: number[]; cols: Record<K, number[]> }, keys: readonly K[]): Series<K> {
  return { step: src.step.slice(), cols: Object.fromEntries(keys.map((k) => [k, src.cols[k].slice()])) as Record<K, number[]> };
}

class Recorder {
  #client: TrainerClient | null = null;
  /** The client's run key when last synced: a reset or resume gives the client a new one. */
  #runKey: string | null = null;
  #id: string | null = null;
  #name: string | null = null;
  #createdAt = 0;
  #forgotten = false;
  #lastKey = '';
  #prevState = '';
  #queue: Promise<unknown> = Promise.resolve();

  /** Bumped after every save, so run lists reload. */
  saved = $state(0);
  error = $state<string | null>(null);
  /** Store id of the run being recorded (null until its first save). */
  currentId = $state<string | null>(null);

  /** Start watching `client` (idempotent; call once from the app root). */
  attach(client: TrainerClient): void {
    if (this.#client === client) return;
    this.#client = client;
    $effect.root(() => {
      $effect(() => {
        const state = client.state;
        void client.metrics; // a new object on every update
        void client.evals;
        untrack(() => this.#observe(state));
      });
      const timer = setInterval(() => {
        if (client.state === 'training') void this.save();
      }, AUTOSAVE_MS);
      return () => clearInterval(timer);
    });
  }

  #observe(state: string): void {
    this.#sync();
    const prev = this.#prevState;
    this.#prevState = state;
    if ((state === 'paused' || state === 'done') && prev !== state) void this.save();
  }

  /** Notice a reset: the next save writes a new record. */
  #sync(): void {
    const c = this.#client;
    if (!c || c.runKey === this.#runKey) return;
    this.#runKey = c.runKey;
    this.#id = null;
    this.#name = null;
    this.#forgotten = false;
    this.#lastKey = '';
    this.currentId = null;
  }

  /** Name the current run (the comparison names its runs "A: …", "B: …"). */
  setName(name: string): void {
    this.#sync();
    this.#name = name;
    this.#lastKey = '';
  }

  /** The run list renamed or deleted a run: keep the recorder from undoing it. */
  renamed(id: string, name: string): void {
    if (id === this.#id) this.#name = name;
  }
  deleted(id: string): void {
    if (id === this.#id) this.#forgotten = true;
  }

  /** Save the current run now (if it has anything new). Resolves to its id, or null if nothing was saved. */
  save(): Promise<string | null> {
    const next = this.#queue.then(() => this.#saveNow());
    this.#queue = next.catch(() => null);
    return next;
  }

  /** The current run as plain data (copies, so later training does not change it). */
  snapshot(): RunData | null {
    this.#sync();
    const c = this.#client;
    if (!c || c.step === 0 || c.metrics.length === 0) return null;
    if (!this.#id) {
      // the trainer's run key also names its checkpoints, so a resumed run keeps writing the same record
      this.#id = (c as { runKey?: string }).runKey || newId('run');
      this.#createdAt = Date.now();
    }
    const cfg = c.config;
    const s = c.snapshot;
    return {
      id: this.#id, name: this.#name ?? defaultRunName(cfg), createdAt: this.#createdAt, config: { ...cfg },
      datasetId: cfg.dataset, datasetName: c.dataset?.name ?? cfg.dataset, classNames: c.dataset?.classNames ?? [],
      backend: c.backend?.name ?? cfg.backend, step: c.step,
      metrics: copy(c.metrics, METRIC_KEYS), evals: copy(c.evals, EVAL_KEYS),
      embedding: s ? { step: s.step, n: s.n, dim: s.dim, features: s.features, labels: s.labels } : null,
    };
  }

  async #saveNow(): Promise<string | null> {
    if (this.#forgotten) return null;
    const run = this.snapshot();
    if (!run) return null;
    const key = `${run.id}|${run.name}|${run.step}|${run.metrics.step.length}|${run.evals.step.length}|${run.embedding?.step ?? -1}`;
    if (key === this.#lastKey) return run.id;
    try {
      await saveRun(toRecord(run));
      this.#lastKey = key;
      this.currentId = run.id;
      this.error = null;
      this.saved++;
      return run.id;
    } catch (e) {
      this.error = `The run was not saved: ${(e as Error).message}`;
      return null;
    }
  }
}

export const recorder = new Recorder();
