/**
 * What the training worker runs, kept free of `self` so Node tests can drive it (like embed/session.ts):
 * one `TrainingRun` at a time, its warm-up, evaluations serialised with training, checkpoints on a clock,
 * and the two recoveries. A run id on every call lets a reset cancel the old run between steps.
 * Faults: a lost GPU device rebuilds the backend (or falls back) and resumes from the last checkpoint; a
 * NaN loss restores the last good checkpoint and names the term that went bad.
 * The clock, the checkpoint store, the dataset loader and the device are injected; `emit` gets events.
 */
import * as tf from '@tensorflow/tfjs';
import type { Backend, Config } from '../config';
import { gather, type Dataset } from '../data/dataset';
import { makeEmbeddedDataset } from '../data/synthetic';
import { countParams } from '../model/encoder';
import { exportEncoder, loadEncoderWeights } from '../model/export';
import { loseDevice, onDeviceLost, rebuildBackend, selectBackend } from './backend';
import { TrainingRun, ceilings, type CheckpointMeta } from './loop';
import { disposeStepCaches } from './step';
import { chooseForDevice, type ChoiceStore, type DeviceChoice, type MeasuredRun } from './measure';
import { evaluationDue } from './evalSchedule';
import { StreamBatches, cacheBound } from '../data/stream';
import type { AutoChoice, BackendInfo, DatasetInfo, MetricPoint, NamedTensor, Progress, RunState, TrainEvent } from './types';

export interface CheckpointStore {
  load(key: string): Promise<{ meta: object; tensors: Record<string, NamedTensor> } | undefined>;
  save(key: string, meta: object, tensors: Record<string, NamedTensor>): Promise<void>;
}

/** The compute device behind tfjs: choose it, rebuild it after a loss, hear about a loss. */
export interface Device {
  select(pref: Backend): Promise<BackendInfo>;
  rebuild(pref: Backend): Promise<BackendInfo>;
  /** Call `cb` once if the current device is lost. */
  onLost(cb: (reason: string) => void): void;
  /** Test hook: lose the device now; false when the backend has no device to lose. */
  lose(): boolean;
}

/** tfjs's real backends (WebGPU → WebGL → CPU). */
export const tfDevice: Device = { select: selectBackend, rebuild: rebuildBackend, onLost: onDeviceLost, lose: loseDevice };

export interface SessionDeps {
  emit: (e: TrainEvent, transfer?: Transferable[]) => void;
  checkpoints: CheckpointStore;
  /** An imported dataset by id (the embedded one is generated here); `seed` picks a streamed split's resident sample. */
  loadDataset: (id: string, opts?: { seed?: number }) => Promise<Dataset>;
  /** Milliseconds, for checkpoint timing. */
  clock?: () => number;
  device?: Device;
  /** Where device measurements are cached (the store's settings in the app; none in tests by default). */
  calibrations?: ChoiceStore | null;
  /** Measure the device and choose size and backend (train/measure.ts; tests inject a fake). */
  choose?: typeof chooseForDevice;
}

const TERMS: [keyof MetricPoint, string][] = [
  ['loss1t5', 'L 1→5'],
  ['loss1t7', 'L 1→7'],
  ['loss5t5', 'L 5→5'],
  ['reg', 'score regulariser'],
  ['probeLoss', 'probe loss'],
  ['total', 'total'],
];

/** The phases of getting a run ready, shown as a progress bar. */
const PHASES = ['making the dataset', 'measuring this device', 'compiling kernels', 'first evaluation'];

/** Shown next to the run state while the warm-up step compiles the kernels. */
const WARMING = 'warming up: compiling kernels';
const EVALUATING = 'evaluating on held-out images (trained encoder, random encoder, raw pixels): training continues after it';

/** What the page says about a training split streamed from storage (undefined when it is in memory). */
function streamInfo(r: TrainingRun): DatasetInfo['streamed'] {
  const b = r.batches, d = r.data;
  if (!(b instanceof StreamBatches)) return undefined;
  const resident = (s: typeof d.train) => s.resident?.length ?? s.count;
  return { cacheBytes: cacheBound(d.train.size, b.set.chunks.chunkImages, b.window), windowChunks: b.window, residentTrain: resident(d.train), residentTest: resident(d.test) };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class TrainSession {
  #emit: SessionDeps['emit'];
  #store: CheckpointStore;
  #loadDataset: SessionDeps['loadDataset'];
  #clock: () => number;
  #device: Device;
  #runId = -1;
  #runKey = '';
  #run: TrainingRun | null = null;
  #state: RunState = 'loading';
  #backend: BackendInfo | null = null;
  #backendPref: Backend | null = null;
  #dataset: { key: string; data: Dataset } | null = null;
  #lastEvalStep = -1;
  /** The last evaluation while training in this session (session clock, ms): when it ended, what it cost. */
  #lastEval: { endedAt: number; costMs: number } | null = null;
  /** Each preview request draws new pairs, reproducibly from the seed. */
  #previews = 0;
  /** The evaluation or warm-up in flight, if any: training and recovery wait for it rather than interleave. */
  #exclusive: Promise<void> | null = null;
  /** True while the warm-up step runs: its metrics are not shown. */
  #warming = false;
  /** True while `train` runs its loop: that loop notices faults itself. */
  #training = false;
  /** Set when the device is lost; the training loop stops and recovers. */
  #deviceLost: string | null = null;
  /** The first loss term that came back non-finite. */
  #badTerm: { term: string; step: number } | null = null;
  #lastCheckpoint = { at: 0, step: -1 };
  #calibrations: ChoiceStore | null;
  #choose: typeof chooseForDevice;
  /** Getting ready (see PHASES), or null when ready. */
  #progress: Progress | null = null;
  /** Train was pressed before the run was ready: it starts when the warm-up ends (no first evaluation). */
  #startRequested = false;

  constructor(deps: SessionDeps) {
    this.#emit = deps.emit;
    this.#store = deps.checkpoints;
    this.#loadDataset = deps.loadDataset;
    this.#clock = deps.clock ?? (() => performance.now());
    this.#device = deps.device ?? tfDevice;
    this.#calibrations = deps.calibrations ?? null;
    this.#choose = deps.choose ?? chooseForDevice;
  }

  get runId(): number {
    return this.#runId;
  }
  get state(): RunState {
    return this.#state;
  }
  get step(): number {
    return this.#run?.step ?? 0;
  }
  get backend(): BackendInfo | null {
    return this.#backend;
  }
  /** The current run (tests and the worker's model export read it). */
  get run(): TrainingRun | null {
    return this.#run;
  }

  /** Report a failure that no request waits for; a fatal one puts the run in the error state. */
  fail(id: number, e: unknown, fatal = true): void {
    console.error(e);
    this.#emit({ type: 'error', runId: id, message: message(e), fatal });
    if (fatal) this.setError(id, message(e));
  }

  /** Put run `id` (if current) in the error state, e.g. when its init failed. */
  setError(id: number, msg: string): void {
    if (id === this.#runId) this.#setState('error', msg);
  }

  #memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  }

  #setState(s: RunState, msg?: string): void {
    this.#state = s;
    // During the warm-up the run is transiently one step on; the page must not show that step.
    const step = this.#warming ? 0 : (this.#run?.step ?? 0);
    const progress = this.#progress ?? undefined;
    this.#emit({ type: 'state', runId: this.#runId, state: s, step, message: msg ?? (this.#warming ? WARMING : undefined), memory: this.#memory(), progress });
  }

  #phase(i: number, label = PHASES[i], etaSec: number | null = null): void {
    this.#progress = { done: i, total: PHASES.length, label, etaSec };
    this.#setState(this.#state);
  }

  /**
   * Measure the device (or reuse its cached measurement) and apply the choice where `auto` allows;
   * returns the config to train and an estimate of the warm-up, or null when the run was cancelled.
   */
  async #calibrate(id: number, cfg: Config, auto: AutoChoice): Promise<{ cfg: Config; warmSec: number | null; measured?: MeasuredRun } | null> {
    this.#phase(0);
    const data = await this.#getDataset(cfg);
    if (id !== this.#runId) return null;
    this.#phase(1);
    const onProgress = (label: string, done: number, planned: number) => {
      if (id === this.#runId) this.#phase(1, `measuring this device: ${label} (${Math.min(done + 1, planned)} of ${planned})`);
    };
    // Timed runs are made like the real one, so the last one timed can become it (see #buildRun).
    const r: DeviceChoice = await this.#choose(cfg, data, auto, this.#calibrations, onProgress, (c) => this.#newRun(id, c, data));
    if (id !== this.#runId) {
      r.measured?.run.dispose();
      return null;
    }
    this.#emit({ type: 'calibrated', runId: id, choice: r.choice, config: r.config, cached: r.cached });
    const m = r.choice.measurements.find((x) => x.backend === r.choice.backend && x.rung === r.choice.rung.name);
    // Measured in this worker: the kernels are compiled already and the warm-up costs about one step.
    const warmSec = m ? (r.cached ? m.warmMs / 1000 : 1 / m.stepsPerSec) : null;
    // Probing the backends may have switched tfjs's current one: choose again below.
    this.#backend = null;
    return { cfg: r.config, warmSec, measured: r.measured };
  }

  async #getDataset(cfg: Config): Promise<Dataset> {
    const key = cfg.dataset === 'embedded' ? `embedded:${cfg.seed}:${cfg.trainCount}:${cfg.testCount}:${cfg.imageSize}` : `store:${cfg.dataset}:${cfg.seed}`;
    if (this.#dataset?.key === key) return this.#dataset.data;
    const data =
      cfg.dataset === 'embedded'
        ? makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: cfg.imageSize })
        : await this.#loadDataset(cfg.dataset, { seed: cfg.seed });
    if (data.train.size !== cfg.imageSize)
      throw new Error(`Dataset "${data.name}" holds ${data.train.size}px images; set Image size to ${data.train.size} to train on it.`);
    this.#dataset = { key, data };
    return data;
  }

  /** A lost device stops a training loop, which recovers; with no loop running, recover here. */
  #watchDevice(): void {
    this.#device.onLost((reason) => {
      this.#deviceLost = reason;
      const id = this.#runId;
      if (!this.#training && this.#run) this.#recoverFromDeviceLoss(id, false).catch((e) => this.fail(id, e));
    });
  }

  /** A run whose metrics reach the page once it is the current run (not while it is timed or warming up). */
  #newRun(id: number, cfg: Config, data: Dataset): TrainingRun {
    const r: TrainingRun = new TrainingRun(cfg, data, {
      onMetrics: (points) => {
        if (r !== this.#run) return;
        for (const p of points) {
          if (this.#badTerm) break;
          const bad = TERMS.find(([k]) => !Number.isFinite(p[k]));
          if (bad) this.#badTerm = { term: bad[1], step: p.step };
        }
        if (id === this.#runId && !this.#warming) this.#emit({ type: 'metrics', runId: id, points });
      },
    });
    return r;
  }

  /**
   * Build a run for `cfg` (or take the one the measurement timed) and, when a checkpoint exists under the run
   * key and `resume` is set, restore it. A timed run keeps its steps only if Train was pressed meanwhile.
   */
  async #buildRun(id: number, cfg: Config, resume: boolean, measured?: MeasuredRun): Promise<TrainingRun | null> {
    const data = await this.#getDataset(cfg);
    if (id !== this.#runId) {
      measured?.run.dispose();
      return null;
    }
    const r = measured?.run ?? this.#newRun(id, cfg, data);
    if (measured && !this.#startRequested) r.restore(measured.fresh.meta, measured.fresh.tensors);
    // The measured steps, kept as the first training steps, reach the page like a resumed run's curves.
    let restored = !!measured && r.step > 0;
    if (resume) {
      const ck = await this.#store.load(this.#runKey);
      if (ck) {
        r.restore(ck.meta as CheckpointMeta, ck.tensors);
        restored = true;
        this.#lastCheckpoint = { at: this.#clock(), step: r.step };
      }
    }
    const params = countParams(r.model.encoder.trainable);
    const dataset = { id: data.id, name: data.name, classNames: data.classNames, trainCount: data.train.count, testCount: data.test.count, size: data.train.size, heldOut: r.probeSet.length, streamed: streamInfo(r) };
    this.#emit({ type: 'ready', runId: id, backend: this.#backend!, dataset, ceilings: ceilings(cfg.batchSize), params });
    if (restored) this.#emit({ type: 'history', runId: id, points: r.history.slice(), evals: r.evalHistory.slice() });
    const pixels = gather(data.test, r.probeSet);
    this.#emit({ type: 'thumbs', runId: id, size: data.test.size, indices: r.probeSet.slice(), pixels }, [pixels.buffer]);
    return r;
  }

  /**
   * Start run `id` (cancelling the current one); resolves once it is ready. Then, while the user reads the
   * page, it warms up and is evaluated once (`idle()` resolves after that; a failure there is reported).
   */
  async init(id: number, cfg: Config, key: string, resume: boolean, auto?: AutoChoice): Promise<void> {
    this.#run?.dispose();
    this.#run = null;
    this.#runId = id;
    this.#runKey = key;
    this.#lastEvalStep = -1;
    this.#lastEval = null;
    this.#badTerm = null;
    this.#startRequested = false;
    this.#progress = null;
    this.#lastCheckpoint = { at: this.#clock(), step: -1 };
    this.#setState('loading');
    let warmSec: number | null = null;
    let measured: MeasuredRun | undefined;
    if (auto && (auto.size || auto.backend) && !resume) {
      const c = await this.#calibrate(id, cfg, auto);
      if (!c) return;
      ({ cfg, warmSec, measured } = c);
    }
    if (!this.#backend || this.#backendPref !== cfg.backend) {
      disposeStepCaches();
      this.#backend = await this.#device.select(cfg.backend);
      this.#backendPref = cfg.backend;
      this.#watchDevice();
    }
    const r = await this.#buildRun(id, cfg, resume, measured);
    if (!r || id !== this.#runId) return r?.dispose();
    this.#run = r;
    this.#setState(cfg.steps > 0 && r.step >= cfg.steps ? 'done' : r.step > 0 ? 'paused' : 'idle');
    // Compile the step's shaders, then the current scores and embedding (the evaluation is skipped when
    // Train was already pressed: the first one then comes while training (evalSchedule.ts), and training starts right after the warm-up).
    this.#exclusively(async () => {
      // A run timed by the measurement has its kernels compiled already: no warm-up step.
      if (!measured) {
        this.#phase(2, PHASES[2], warmSec);
        await this.#warmUp(id);
      }
      if (!this.#startRequested && id === this.#runId) {
        this.#phase(3);
        await this.#evaluateNow(id);
      }
    })
      .finally(() => {
        if (id !== this.#runId) return;
        this.#progress = null;
        this.#setState(this.#state);
      })
      .then(() => {
        if (!this.#startRequested || id !== this.#runId) return;
        this.#startRequested = false;
        this.start(id);
      })
      .catch((e) => this.fail(id, e));
  }

  /** Run `fn` after any evaluation or warm-up in flight; training waits for it too. */
  #exclusively(fn: () => Promise<void>): Promise<void> {
    if (this.#exclusive) return this.#exclusive.then(() => this.#exclusively(fn));
    const p = fn().finally(() => (this.#exclusive = null));
    this.#exclusive = p;
    return p;
  }

  /** Resolves when no warm-up or evaluation is in flight (their failures are reported where they started). */
  async idle(): Promise<void> {
    while (this.#exclusive) await this.#exclusive.catch(() => undefined);
  }

  /**
   * One throwaway training step on a fresh run, then back to the exact state before it: the first real step
   * no longer pays for shader compilation (tens of seconds on software WebGPU, seconds on a real GPU).
   */
  async #warmUp(id: number): Promise<void> {
    const r = this.#run;
    if (!r || id !== this.#runId || r.step !== 0) return;
    const before = await r.checkpoint();
    this.#warming = true;
    this.#setState(this.#state);
    try {
      await r.trainSteps(1);
    } finally {
      this.#warming = false;
    }
    r.restore(before.meta, before.tensors);
    if (id === this.#runId) this.#setState(this.#state);
  }

  /** Evaluate now unless this step was already evaluated; serialised with training and warm-up. */
  evaluate(id: number): Promise<void> {
    return this.#exclusively(() => this.#evaluateNow(id));
  }

  async #evaluateNow(id: number): Promise<void> {
    const r = this.#run;
    if (!r || id !== this.#runId || r.step === this.#lastEvalStep) return;
    this.#lastEvalStep = r.step;
    const { point, snapshot } = await r.evaluate();
    if (id !== this.#runId) return;
    this.#emit({ type: 'eval', runId: id, point });
    const transfer: Transferable[] = [snapshot.features.buffer, snapshot.indices.buffer];
    if (snapshot.labels) transfer.push(snapshot.labels.buffer);
    this.#emit({ type: 'embedding', runId: id, snapshot }, transfer);
  }

  /** Save now on request (not while training: the loop saves on its own clock and on pause). */
  async save(id: number): Promise<{ step: number; savedAt: number } | null> {
    return this.#state !== 'training' ? this.#checkpoint(id) : null;
  }

  /** Save the run (the store swaps a pointer only after the new copy is written, so a save is atomic). */
  async #checkpoint(id: number): Promise<{ step: number; savedAt: number } | null> {
    const r = this.#run;
    if (!r || id !== this.#runId || r.step === this.#lastCheckpoint.step || this.#badTerm) return null;
    const { meta, tensors } = await r.checkpoint();
    try {
      await this.#store.save(this.#runKey, meta, tensors);
      this.#lastCheckpoint = { at: this.#clock(), step: meta.step };
      this.#emit({ type: 'checkpoint', runId: id, step: meta.step, savedAt: meta.savedAt });
      return { step: meta.step, savedAt: meta.savedAt };
    } catch (e) {
      const msg = `Checkpoint not saved: ${message(e)}. Training goes on; the previous checkpoint is kept.`;
      this.#emit({ type: 'error', runId: id, message: msg, fatal: false });
      this.#lastCheckpoint.at = this.#clock();
      return null;
    }
  }

  /** Train up to `maxSteps` (Infinity: until paused or `config.steps`); false if the run was busy. */
  start(id: number, maxSteps = Infinity): boolean {
    if (id !== this.#runId) return false;
    // Pressed while getting ready: remembered, and the run starts as soon as the warm-up ends.
    if (maxSteps === Infinity && (!this.#run || this.#state === 'loading' || this.#progress)) {
      this.#startRequested = true;
      return true;
    }
    if (!this.#run || this.#state === 'training') return false;
    this.#train(id, maxSteps).catch((e) => this.fail(id, e));
    return true;
  }

  pause(): void {
    this.#startRequested = false;
    if (this.#state === 'training') this.#state = 'paused';
  }

  async #train(id: number, maxSteps: number): Promise<void> {
    const r = this.#run;
    if (!r) return;
    const cfg = r.cfg;
    this.#setState('training');
    this.#training = true;
    try {
      await this.idle();
      r.resetClock();
      let left = maxSteps;
      const stop = () => this.#state !== 'training' || id !== this.#runId || this.#deviceLost !== null || this.#badTerm !== null;
      while (!stop() && left > 0) {
        if (cfg.steps > 0 && r.step >= cfg.steps) break;
        const toEval = cfg.embedEvery - (r.step % cfg.embedEvery);
        const toEnd = cfg.steps > 0 ? cfg.steps - r.step : Infinity;
        left -= await r.trainSteps(Math.min(left, toEval, toEnd, cfg.logEvery), stop);
        if (id !== this.#runId) return;
        if (this.#deviceLost !== null || this.#badTerm !== null) break;
        this.#emit({ type: 'state', runId: id, state: this.#state, step: r.step, memory: this.#memory() });
        // The first evaluation while training waits for the curve's first minute, later ones keep to a
        // share of the time (evalSchedule.ts).
        const last = this.#lastEval && { sinceSec: (this.#clock() - this.#lastEval.endedAt) / 1000, costSec: this.#lastEval.costMs / 1000 };
        if (evaluationDue(r.step, cfg, r.time, last)) {
          // Say so: the curve and the rates stand still while it runs (the page clears steps/s).
          const took = this.#lastEval ? ` · the last one took ${Math.max(1, Math.round(this.#lastEval.costMs / 1000))} s` : '';
          this.#emit({ type: 'state', runId: id, state: this.#state, step: r.step, message: `${EVALUATING}${took}`, evaluating: true });
          const t = this.#clock();
          await this.evaluate(id);
          this.#lastEval = { endedAt: this.#clock(), costMs: this.#clock() - t };
          if (id !== this.#runId) return;
          this.#emit({ type: 'state', runId: id, state: this.#state, step: r.step, memory: this.#memory() });
          r.resetClock(); // evaluation time is not training time
        }
        if (this.#clock() - this.#lastCheckpoint.at > cfg.checkpointSec * 1000) await this.#checkpoint(id);
      }
    } catch (e) {
      if (this.#deviceLost === null) throw e; // a failure caused by the lost device is handled below
    } finally {
      this.#training = false;
    }
    if (id !== this.#runId) return;
    if (this.#deviceLost !== null) return this.#recoverFromDeviceLoss(id, true);
    if (this.#badTerm !== null) return this.#recoverFromNaN(id);
    if (cfg.steps > 0 && r.step >= cfg.steps) {
      await this.evaluate(id);
      await this.#checkpoint(id);
      this.#setState('done');
    } else {
      this.#setState(this.#state === 'training' ? 'paused' : this.#state);
      if (this.#state === 'paused') await this.#checkpoint(id);
    }
  }

  /** Replace the run by one rebuilt from its last checkpoint (or a fresh one when none was saved). */
  async #restoreLatest(id: number, cfg: Config): Promise<number | null> {
    this.#run?.dispose();
    this.#run = null;
    const r = await this.#buildRun(id, cfg, true);
    if (!r || id !== this.#runId) return null;
    this.#run = r;
    this.#lastEvalStep = -1;
    return r.step;
  }

  async #recoverFromDeviceLoss(id: number, wasTraining: boolean): Promise<void> {
    await this.idle();
    if (!this.#run || id !== this.#runId) return;
    const cfg = this.#run.cfg;
    const reason = this.#deviceLost;
    this.#setState('loading', 'GPU device lost');
    try {
      this.#run?.dispose();
    } catch {
      // tensors of a lost device may fail to free; they go with the backend
    }
    this.#run = null;
    disposeStepCaches();
    this.#backend = await this.#device.rebuild(cfg.backend);
    this.#deviceLost = null;
    this.#watchDevice();
    const from = await this.#restoreLatest(id, cfg);
    if (from === null) return;
    const msg = `The GPU device was lost (${reason}). Rebuilt the ${this.#backend.name} backend and resumed from the checkpoint at step ${from}.`;
    this.#emit({ type: 'notice', runId: id, message: msg });
    this.#setState(from > 0 ? 'paused' : 'idle');
    if (wasTraining) await this.#train(id, Infinity);
  }

  async #recoverFromNaN(id: number): Promise<void> {
    const bad = this.#badTerm!;
    const from = await this.#restoreLatest(id, this.#run!.cfg);
    this.#badTerm = null;
    if (from === null) return;
    const msg =
      `The ${bad.term} became NaN or infinite at step ${bad.step}. Training stopped and the last good checkpoint (step ${from}) was restored. ` +
      'A lower learning rate or a smaller score clip usually helps.';
    this.#emit({ type: 'error', runId: id, message: msg, fatal: false });
    this.#setState(from > 0 ? 'paused' : 'idle');
  }

  /**
   * Augmented pairs by the training code path; `aug` tries settings not yet applied; with `augB`, the same
   * images and random draws under B's settings too. `key` names the requester and is echoed back.
   */
  async preview(id: number, count: number, aug?: Partial<Config>, augB?: Partial<Config>, key?: string): Promise<void> {
    const r = this.#run;
    if (!r || id !== this.#runId) return;
    const seed = r.cfg.seed + 7919 * this.#previews++;
    const { a, b } = await r.previewPairs(count, seed, aug);
    const other = augB ? await r.previewPairs(count, seed, augB) : undefined;
    // Each array owns its buffer (previewPairs copies), so no buffer appears twice in the transfer list.
    const transfer = [...new Set([a.buffer, b.buffer, other?.a.buffer, other?.b.buffer].filter((x): x is ArrayBuffer => !!x))];
    this.#emit({ type: 'preview', runId: id, size: r.cfg.imageSize, count, a, b, other, key }, transfer);
  }

  /** The encoder as a TF.js graph model. */
  async exportModel(id: number): Promise<{ modelJson: object; weightData: ArrayBuffer }> {
    const r = this.#current(id);
    return exportEncoder(r.model.encoder);
  }

  /** Load checked weights into the encoder (not while training), then re-evaluate; the step they went in at. */
  importModel(id: number, weights: Record<string, NamedTensor>): { step: number } {
    const r = this.#current(id);
    if (this.#state === 'training') throw new Error('Pause training before importing weights.');
    loadEncoderWeights(r.model.encoder, weights);
    this.#lastEvalStep = -1;
    this.evaluate(id).catch((e) => this.fail(id, e, false));
    return { step: r.step };
  }

  /** The run `id`, which must be the current one. */
  #current(id: number): TrainingRun {
    if (!this.#run || id !== this.#runId) throw new Error(id !== this.#runId ? `run ${id} is no longer the current run` : 'the run is still loading');
    return this.#run;
  }

  /** Test hooks: poison the next step with NaN, or lose the GPU device (recovery follows by itself). */
  debug(action: 'lose-device' | 'nan'): void {
    if (action === 'nan') this.#run?.poisonNextStep();
    else if (!this.#device.lose()) this.#emit({ type: 'notice', runId: this.#runId, message: 'lose-device: the current backend is not WebGPU' });
  }

  dispose(): void {
    this.#run?.dispose();
    this.#run = null;
  }
}
