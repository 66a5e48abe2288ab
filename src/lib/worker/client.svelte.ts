/**
 * Page side of the training worker: owns the Worker, sends typed commands, and keeps the app's training
 * state as runes. Curves are kept as columns (plain arrays) with a version counter, so a long run does
 * not copy its history on every update; charts redraw when `version` changes.
 */
import { DEFAULTS, decodeHash, encodeHash, type Config } from '../config';
import type { BackendInfo, DatasetInfo, EmbeddingSnapshot, EvalPoint, FromWorker, MetricPoint, RunState, ToWorker } from './protocol';

export type MetricKey = Exclude<keyof MetricPoint, 'step'>;
const METRIC_FIELDS: MetricKey[] = ['loss1t5', 'loss1t7', 'loss5t5', 'reg', 'total', 'mi1t5', 'mi1t7', 'mi5t5', 'probeLoss', 'probeAcc', 'lr', 'stepsPerSec', 'imagesPerSec', 'time'];

export class Columns<K extends string> {
  step: number[] = [];
  cols: Record<K, number[]>;
  constructor(readonly keys: readonly K[]) {
    this.cols = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  }
  push(p: { step: number } & Record<K, number>): void {
    this.step.push(p.step);
    for (const k of this.keys) this.cols[k].push(p[k]);
  }
  get length(): number {
    return this.step.length;
  }
  last(k: K): number | undefined {
    const c = this.cols[k];
    return c.length ? c[c.length - 1] : undefined;
  }
}

export interface Thumbs {
  size: number;
  indices: Int32Array;
  pixels: Uint8Array;
}

export class TrainerClient {
  #worker: Worker | null = null;
  #runId = 0;
  config = $state.raw<Config>({ ...DEFAULTS } as Config);
  configError = $state<string | null>(null);
  state = $state<RunState>('loading');
  step = $state(0);
  backend = $state.raw<BackendInfo | null>(null);
  dataset = $state.raw<DatasetInfo | null>(null);
  ceilings = $state.raw<{ '1t5': number; '1t7': number; '5t5': number } | null>(null);
  params = $state(0);
  errors = $state.raw<{ message: string; fatal: boolean; at: number }[]>([]);
  snapshot = $state.raw<EmbeddingSnapshot | null>(null);
  thumbs = $state.raw<Thumbs | null>(null);
  preview = $state.raw<{ size: number; count: number; a: Float32Array; b: Float32Array } | null>(null);
  /** Bumped whenever `metrics` or `evals` grow. */
  version = $state(0);
  metrics = new Columns<MetricKey>(METRIC_FIELDS);
  evals = new Columns<'linear' | 'knn' | 'linearRandom' | 'knnRandom'>(['linear', 'knn', 'linearRandom', 'knnRandom']);
  stepsPerSec = $state(0);
  lastEval = $state.raw<EvalPoint | null>(null);

  /** Read the config from the URL hash (invalid hashes fall back to defaults with a visible message). */
  loadFromHash(hash: string): void {
    try {
      this.config = decodeHash(hash);
      this.configError = null;
    } catch (e) {
      this.config = { ...DEFAULTS } as Config;
      this.configError = `The link's settings were not used: ${(e as Error).message}`;
    }
  }

  get hash(): string {
    return encodeHash(this.config);
  }

  #spawn(): Worker {
    const w = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
    w.onmessage = (e: MessageEvent<FromWorker>) => this.#receive(e.data);
    w.onerror = (e) => {
      this.#error(`The training worker crashed: ${e.message || 'unknown error'}. Press Reset to restart it.`, true);
      this.state = 'error';
    };
    return w;
  }

  #send(m: ToWorker): void {
    this.#worker?.postMessage(m);
  }

  #error(message: string, fatal: boolean): void {
    this.errors = [...this.errors.slice(-4), { message, fatal, at: Date.now() }];
  }

  dismissError(at: number): void {
    this.errors = this.errors.filter((e) => e.at !== at);
  }

  /** Start a fresh run with `config` (cancels the current one). */
  reset(config: Config = this.config, restartWorker = false): void {
    this.config = config;
    if (restartWorker || !this.#worker) {
      this.#worker?.terminate();
      this.#worker = this.#spawn();
    }
    this.#runId++;
    this.state = 'loading';
    this.step = 0;
    this.metrics = new Columns<MetricKey>(METRIC_FIELDS);
    this.evals = new Columns(['linear', 'knn', 'linearRandom', 'knnRandom']);
    this.snapshot = null;
    this.lastEval = null;
    this.stepsPerSec = 0;
    this.version++;
    this.#send({ type: 'init', runId: this.#runId, config: $state.snapshot(config) as Config });
  }

  start(): void {
    this.#send({ type: 'start', runId: this.#runId });
  }
  pause(): void {
    this.#send({ type: 'pause', runId: this.#runId });
  }
  toggle(): void {
    if (this.state === 'training') this.pause();
    else if (this.state === 'idle' || this.state === 'paused') this.start();
  }
  stepOnce(count = 1): void {
    this.#send({ type: 'step', runId: this.#runId, count });
  }
  requestPreview(count: number): void {
    this.#send({ type: 'preview', runId: this.#runId, count });
  }

  terminate(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }

  #receive(m: FromWorker): void {
    if (m.runId !== this.#runId) return;
    switch (m.type) {
      case 'ready':
        this.backend = m.backend;
        this.dataset = m.dataset;
        this.ceilings = m.ceilings;
        this.params = m.params;
        break;
      case 'state':
        this.state = m.state;
        this.step = m.step;
        break;
      case 'metrics':
        for (const p of m.points) this.metrics.push(p);
        this.stepsPerSec = m.points[m.points.length - 1].stepsPerSec;
        this.version++;
        break;
      case 'eval':
        this.evals.push(m.point);
        this.lastEval = m.point;
        this.version++;
        break;
      case 'embedding':
        this.snapshot = m.snapshot;
        break;
      case 'thumbs':
        this.thumbs = { size: m.size, indices: m.indices, pixels: m.pixels };
        break;
      case 'preview':
        this.preview = { size: m.size, count: m.count, a: m.a, b: m.b };
        break;
      case 'error':
        this.#error(m.message, m.fatal);
        break;
    }
  }
}

export const trainer = new TrainerClient();
