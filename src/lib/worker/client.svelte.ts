/**
 * Page side of the training worker: owns the Worker, sends typed requests (each answered, see
 * requests.ts), and keeps the app's training state as runes. Curves are immutable columns in `$state.raw`
 * fields, replaced on every update, so `$derived` chart data follows them without a version counter.
 */
import type { FeatureSource, SimilarResult } from '../train/similar';
import { DEFAULTS, decodeHash, encodeHash, type Config } from '../config';
import { deleteCheckpoint, getSetting, newId, setSetting } from '../data/store';
import { SIZE_KEYS, autoFromHash, type Choice } from '../train/calibrate';
import { EVAL_KEYS, METRIC_KEYS, type AutoChoice, type Progress, type BackendInfo, type Ceilings, type DatasetInfo, type EmbeddingSnapshot, type EvalPoint, type FromWorker, type MemoryInfo, type MetricPoint, type ReplyValues, type Request, type RunState } from './protocol';
import { RequestCancelled, Requests, RequestTimeout } from './requests';

/** How long a request may wait for its reply (the worker answers between training steps). */
const REPLY_MS = 120_000;
/** Loading a run (dataset from the store, backend choice) and exporting a model may take longer. */
const SLOW_REPLY_MS = 300_000;

/** What the page needs to offer "resume" after a reload: written each time the worker saves a checkpoint. */
export interface ResumeInfo {
  runKey: string;
  config: Config;
  step: number;
  savedAt: number;
}
const RESUME_SETTING = 'resume';

export type MetricKey = Exclude<keyof MetricPoint, 'step'>;

/**
 * A curve as columns: one step array and one array per key. Immutable: `concat` returns new columns, so a
 * `$state.raw` field holding them changes reference on every update and `$derived` readers recompute.
 * (Copying is O(n) per update, the same order as redrawing the chart of n points.)
 */
export class Columns<K extends string> {
  readonly step: number[];
  readonly cols: Record<K, number[]>;
  readonly keys: readonly K[];
  constructor(keys: readonly K[], step: number[] = [], cols?: Record<K, number[]>) {
    this.keys = keys;
    this.step = step;
    this.cols = cols ?? (Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>);
  }
  concat(points: readonly ({ step: number } & Record<K, number>)[]): Columns<K> {
    const cols = Object.fromEntries(this.keys.map((k) => [k, [...this.cols[k], ...points.map((p) => p[k])]])) as Record<K, number[]>;
    return new Columns(this.keys, [...this.step, ...points.map((p) => p.step)], cols);
  }
  get length(): number {
    return this.step.length;
  }
  last(k: K): number | undefined {
    const c = this.cols[k];
    return c.length ? c[c.length - 1] : undefined;
  }
}

export interface PreviewPairs {
  size: number;
  count: number;
  /** (count, size, size, 3) floats in [0, 1]: view a and view b of each image. */
  a: Float32Array;
  b: Float32Array;
  /** The same images under a second setting (a comparison's B), when asked for. */
  other?: { a: Float32Array; b: Float32Array };
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
  /** What the worker is doing beyond its state (a warm-up, a lost device), or ''. */
  note = $state('');
  backend = $state.raw<BackendInfo | null>(null);
  dataset = $state.raw<DatasetInfo | null>(null);
  ceilings = $state.raw<Ceilings | null>(null);
  params = $state(0);
  errors = $state.raw<{ message: string; fatal: boolean; at: number }[]>([]);
  snapshot = $state.raw<EmbeddingSnapshot | null>(null);
  thumbs = $state.raw<Thumbs | null>(null);
  /** Latest preview pairs per requester key ('train' for the Train view's). */
  previews = $state.raw<Record<string, PreviewPairs>>({});
  get preview(): PreviewPairs | null {
    return this.previews.train ?? null;
  }
  /** The latest "more like this" answer, and the probe set's random-encoder features (both asked for). */
  similar = $state.raw<SimilarResult | null>(null);
  randomFeatures = $state.raw<{ indices: Int32Array; dim: number; features: Float32Array } | null>(null);
  /** The run's curves, replaced (not mutated) on every update. */
  metrics = $state.raw(new Columns<MetricKey>(METRIC_KEYS));
  evals = $state.raw(new Columns(EVAL_KEYS));
  stepsPerSec = $state(0);
  lastEval = $state.raw<EvalPoint | null>(null);
  memory = $state.raw<MemoryInfo | null>(null);
  notices = $state.raw<{ message: string; at: number }[]>([]);
  /** Step and time of the last checkpoint saved for this run. */
  checkpoint = $state.raw<{ step: number; savedAt: number } | null>(null);
  /** Names this run's checkpoints in the store. */
  runKey = $state('');
  /** A saved run from an earlier visit that can be resumed. */
  resumable = $state.raw<ResumeInfo | null>(null);
  /** What the link and the settings leave to the app's measurement of this device. */
  auto = $state.raw<AutoChoice>({ size: true, backend: true });
  /** The measurement's choice and why (null until measured, or when the link fixes size and backend). */
  choice = $state.raw<Choice | null>(null);
  choiceCached = $state(false);
  /** Getting ready (dataset, measuring, compiling kernels, first evaluation), or null when ready. */
  progress = $state.raw<Progress | null>(null);
  /** Train was pressed while getting ready: it starts when the warm-up ends. */
  pendingStart = $state(false);

  /** Read the config from the URL hash (invalid hashes fall back to defaults with a visible message). */
  loadFromHash(hash: string): void {
    try {
      this.config = decodeHash(hash);
      this.auto = autoFromHash(hash);
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
      this.#requests.cancel('the training worker crashed');
    };
    return w;
  }

  #requests = new Requests();

  /** Send a request for the current run; its promise settles with the reply, an error, or a timeout. */
  #ask<T extends Request['type']>(m: Extract<Request, { type: T }>, timeoutMs = REPLY_MS): Promise<ReplyValues[T]> {
    if (!this.#worker) return Promise.reject(new RequestCancelled('the training worker is not running'));
    const { reqId, answer } = this.#requests.open<ReplyValues[T]>(this.#runId, m.type, timeoutMs);
    this.#worker.postMessage({ ...m, runId: this.#runId, reqId });
    return answer;
  }

  /** Send a request nobody awaits: a failure goes to the error list. */
  #tell(m: Request, fatal = false): void {
    this.#ask(m).catch((e) => this.#report(e, fatal));
  }

  #report(e: unknown, fatal: boolean): void {
    // A request of a replaced run is cancelled on purpose (the user reset or resumed): nothing to report.
    if (e instanceof RequestCancelled) return;
    this.#error(e instanceof Error ? e.message : String(e), fatal);
  }

  #error(message: string, fatal: boolean): void {
    this.errors = [...this.errors.slice(-4), { message, fatal, at: Date.now() }];
  }

  dismissError(at: number): void {
    this.errors = this.errors.filter((e) => e.at !== at);
  }

  /** Look for a run saved by an earlier visit (call once on start). */
  async findResumable(): Promise<ResumeInfo | null> {
    try {
      const r = await getSetting<ResumeInfo>(RESUME_SETTING);
      this.resumable = r && r.step > 0 ? r : null;
    } catch {
      this.resumable = null;
    }
    return this.resumable;
  }

  /** Decline the saved run from an earlier visit: its checkpoint is deleted. */
  async discardResumable(): Promise<void> {
    const r = this.resumable;
    this.resumable = null;
    if (!r) return;
    try {
      // The offer first, then the checkpoint: a tab closed in between leaves no offer of a deleted run.
      if ((await getSetting<ResumeInfo>(RESUME_SETTING))?.runKey === r.runKey) await setSetting(RESUME_SETTING, null);
      await deleteCheckpoint(r.runKey);
    } catch (e) {
      this.#error(`The saved run could not be deleted: ${(e as Error).message}`, false);
    }
  }

  /** Continue the saved run: same config, weights, optimiser, RNG and curves. */
  resume(info: ResumeInfo): void {
    this.resumable = null;
    this.reset(info.config, false, info.runKey);
  }

  /** Start a fresh run with `config` (cancels the current one). With `resumeKey`, continue that saved run. */
  reset(config: Config = this.config, restartWorker = false, resumeKey?: string): void {
    const previous = this.runKey;
    this.runKey = resumeKey ?? newId('run');
    // One resumable run at a time: the previous run's checkpoint goes when a new run starts.
    if (previous && previous !== this.runKey)
      deleteCheckpoint(previous).catch((e) => this.#error(`The previous run's checkpoint could not be deleted: ${(e as Error).message}`, false));
    this.checkpoint = null;
    // A size or backend changed in the settings is the user's choice from now on.
    const prev = this.config;
    if (this.auto.size && SIZE_KEYS.some((k) => config[k] !== prev[k])) this.auto = { ...this.auto, size: false };
    if (config.backend === 'auto') this.auto = { ...this.auto, backend: true };
    else if (this.auto.backend && config.backend !== prev.backend) this.auto = { ...this.auto, backend: false };
    this.config = config;
    if (restartWorker || !this.#worker) {
      this.#worker?.terminate();
      this.#worker = this.#spawn();
    }
    this.#runId++;
    this.#requests.cancel('the run was replaced', this.#runId);
    this.state = 'loading';
    this.note = '';
    this.step = 0;
    this.metrics = new Columns<MetricKey>(METRIC_KEYS);
    this.evals = new Columns(EVAL_KEYS);
    this.snapshot = null;
    this.similar = null;
    this.randomFeatures = null;
    this.lastEval = null;
    this.stepsPerSec = 0;
    this.pendingStart = false;
    this.progress = null;
    const auto = resumeKey ? undefined : { ...this.auto, fresh: this.#fresh };
    this.#fresh = false;
    if (auto && !auto.size && !auto.backend) this.choice = null;
    this.#ask({ type: 'init', config: $state.snapshot(config) as Config, runKey: this.runKey, resume: !!resumeKey, auto }, SLOW_REPLY_MS).catch((e) => this.#report(e, true));
  }

  #fresh = false;
  /** Forget the cached measurement of this device, measure again, and let the app choose size and backend. */
  remeasure(): void {
    this.auto = { size: true, backend: true };
    this.#fresh = true;
    this.reset({ ...this.config, backend: 'auto' });
  }

  start(): void {
    this.#tell({ type: 'start' });
  }
  pause(): void {
    this.pendingStart = false;
    this.#tell({ type: 'pause' });
  }
  /** Train or pause; pressed while getting ready, the run starts as soon as it is ready. */
  toggle(): void {
    if (this.state === 'training' || this.pendingStart) this.pause();
    else if (this.state === 'loading' || this.progress) {
      this.pendingStart = true;
      this.start();
    } else if (this.state === 'idle' || this.state === 'paused') this.start();
  }
  stepOnce(count = 1): void {
    this.#tell({ type: 'step', count });
  }
  /** Ask for `count` augmented pairs; with `augB`, the same images under B's settings too (`key` names the requester). */
  requestPreview(count: number, aug?: Partial<Config>, augB?: Partial<Config>, key = 'train'): void {
    // The pairs wait behind the warm-up's shader compilation (minutes on software WebGPU): a slow preview is
    // not an error (the page shows "Drawing pairs…" until they come), a failed one is.
    this.#ask({ type: 'preview', count, aug: aug ? { ...aug } : undefined, augB: augB ? { ...augB } : undefined, key }, SLOW_REPLY_MS).catch((e) => {
      if (!(e instanceof RequestTimeout)) this.#report(e, false);
    });
  }

  /** Ask the worker to save a checkpoint now (it also saves on pause and every config.checkpointSec). */
  saveCheckpoint(): void {
    this.#tell({ type: 'checkpoint' });
  }
  /** The write of the resume record for the last checkpoint. */
  #resumeWrite: Promise<void> = Promise.resolve();
  /**
   * Before the page reloads (an app update): pause, save a checkpoint at the current step and its resume
   * record. True once both are stored, or when there is nothing to keep; false if that did not happen
   * within `timeoutMs`.
   */
  async saveBeforeReload(timeoutMs = 30_000): Promise<boolean> {
    if (!this.#worker || this.step === 0 || this.state === 'loading' || this.state === 'error') return true;
    if (this.state === 'training') this.pause(); // the worker checkpoints when it stops
    else this.saveCheckpoint();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.state !== 'training' && this.checkpoint?.step === this.step) {
        await this.#resumeWrite;
        return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }
  /** The current encoder as a TF.js graph model (model.json + one weight file); rejects if the worker cannot. */
  exportModel(): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
    return this.#ask({ type: 'export-model' }, SLOW_REPLY_MS);
  }
  /** Load checked encoder weights into the current run (to continue training or to embed). */
  importModel(weights: Record<string, { shape: number[]; data: Float32Array }>): void {
    this.#ask({ type: 'import-model', weights }).then(
      ({ step }) => this.#notice(`Encoder weights imported at step ${step}; the embedding and scores are being recomputed.`),
      (e) => this.#report(e, false),
    );
  }

  /** "More like this": the `count` photos nearest to held-out photo `index` under `source`. */
  findSimilar(source: FeatureSource, index: number, count = 12): void {
    this.#ask({ type: 'similar', source, index, count }, SLOW_REPLY_MS).then(
      (r) => (this.similar = r),
      (e) => this.#report(e, false),
    );
  }
  requestRandomFeatures(): void {
    if (this.randomFeatures) return;
    this.#ask({ type: 'random-features' }, SLOW_REPLY_MS).then(
      (r) => (this.randomFeatures = r),
      (e) => this.#report(e, false),
    );
  }

  /** Test hooks (used by e2e tests through window.__infomax). */
  debug(action: 'lose-device' | 'nan'): void {
    this.#tell({ type: 'debug', action });
  }

  terminate(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#requests.cancel('the training worker was stopped');
  }

  #notice(message: string): void {
    this.notices = [...this.notices.slice(-3), { message, at: Date.now() }];
  }

  #receive(m: FromWorker): void {
    if (m.type === 'reply') {
      this.#requests.settle(m);
      return;
    }
    if (m.runId !== this.#runId) return;
    switch (m.type) {
      case 'calibrated':
        this.choice = m.choice;
        this.choiceCached = m.cached;
        this.config = m.config;
        break;
      case 'ready':
        this.backend = m.backend;
        this.dataset = m.dataset;
        this.ceilings = m.ceilings;
        this.params = m.params;
        break;
      case 'state':
        this.state = m.state;
        this.step = m.step;
        this.note = m.message ?? '';
        this.progress = m.progress ?? null;
        if (m.state === 'training' || m.state === 'error' || m.state === 'done') this.pendingStart = false;
        // Rates describe training: a paused run, or one stopped for an evaluation, has none.
        if (m.state !== 'training' || m.evaluating) this.stepsPerSec = 0;
        if (m.memory) this.memory = m.memory;
        break;
      case 'history':
        this.metrics = new Columns<MetricKey>(METRIC_KEYS).concat(m.points);
        this.evals = new Columns(EVAL_KEYS).concat(m.evals);
        this.lastEval = m.evals.at(-1) ?? null;
        break;
      case 'checkpoint': {
        this.checkpoint = { step: m.step, savedAt: m.savedAt };
        const info: ResumeInfo = { runKey: this.runKey, config: $state.snapshot(this.config) as Config, step: m.step, savedAt: m.savedAt };
        this.#resumeWrite = setSetting(RESUME_SETTING, info).catch((e) =>
          this.#error(`This run will not be offered for resuming after a reload: ${(e as Error).message}`, false),
        );
        // The saved run from an earlier visit is replaced by this one.
        if (this.resumable && this.resumable.runKey !== this.runKey) {
          const old = this.resumable.runKey;
          this.resumable = null;
          deleteCheckpoint(old).catch((e) => this.#error(`The earlier saved run could not be deleted: ${(e as Error).message}`, false));
        }
        break;
      }
      case 'notice':
        this.#notice(m.message);
        break;
      case 'metrics':
        this.metrics = this.metrics.concat(m.points);
        this.stepsPerSec = m.points[m.points.length - 1].stepsPerSec;
        break;
      case 'eval':
        this.evals = this.evals.concat([m.point]);
        this.lastEval = m.point;
        break;
      case 'embedding':
        this.snapshot = m.snapshot;
        break;
      case 'thumbs':
        this.thumbs = { size: m.size, indices: m.indices, pixels: m.pixels };
        break;
      case 'preview':
        this.previews = { ...this.previews, [m.key ?? 'train']: { size: m.size, count: m.count, a: m.a, b: m.b, other: m.other } };
        break;
      case 'error':
        this.#error(m.message, m.fatal);
        break;
    }
  }
}

export const trainer = new TrainerClient();
