/**
 * Page side of the bounds lab: owns the worker, accumulates streamed points in columns for the chart, and
 * exposes a small reactive state. One instance per mounted BoundsLab page.
 */
import type { Backend } from '../../lib/config';
import type { FromBounds, ToBounds } from '../../lib/info/boundsProtocol';
import type { LabPoint, LabSettings } from '../../lib/info/labSettings';
import type { BackendInfo } from '../../lib/train/types';

export type LabStatus = 'idle' | 'starting' | 'running' | 'done' | 'stopped' | 'error';
export const COLUMNS = ['step', 'trueMi', 'logK', 'infonce', 'nwj', 'dv', 'js', 'jsRaw'] as const;
export type Column = (typeof COLUMNS)[number];

export class BoundsRun {
  status = $state<LabStatus>('idle');
  error = $state<string | null>(null);
  backend = $state<BackendInfo | null>(null);
  totalSteps = $state(0);
  /** Replaced (not mutated) on every batch of points, so `$derived` readers follow without a counter. */
  cols = $state.raw<Record<Column, number[]>>(emptyCols());
  #worker: Worker | null = null;
  #runId = 0;

  #send(msg: ToBounds): void {
    this.#worker?.postMessage(msg);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('../../lib/worker/bounds.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<FromBounds>) => this.#receive(ev.data);
    w.onerror = (ev) => {
      this.status = 'error';
      this.error = `bounds worker failed: ${ev.message || 'could not load'}`;
    };
    this.#worker = w;
    return w;
  }

  #receive(msg: FromBounds): void {
    if (msg.runId !== this.#runId) return;
    switch (msg.type) {
      case 'ready':
        this.backend = msg.backend;
        this.totalSteps = msg.totalSteps;
        this.status = 'running';
        return;
      case 'points':
        this.#append(msg.points);
        return;
      case 'done':
        this.status = msg.stopped ? 'stopped' : 'done';
        return;
      case 'error':
        this.status = 'error';
        this.error = msg.message;
        return;
    }
  }

  #append(points: LabPoint[]): void {
    this.cols = Object.fromEntries(COLUMNS.map((c) => [c, [...this.cols[c], ...points.map((p) => p[c])]])) as Record<Column, number[]>;
  }

  start(settings: LabSettings, backend: Backend, streamEvery: number): void {
    this.#ensureWorker();
    this.#runId++;
    this.cols = emptyCols();
    this.error = null;
    this.status = 'starting';
    // $state proxies cannot be structured-cloned: send a plain copy.
    this.#send({ type: 'start', runId: this.#runId, settings: { ...settings, levels: [...settings.levels] }, backend, streamEvery });
  }

  setBatch(k: number): void {
    if (this.status === 'running' || this.status === 'starting') this.#send({ type: 'batch', runId: this.#runId, batchSize: k });
  }

  stop(): void {
    this.#send({ type: 'stop', runId: this.#runId });
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}

function emptyCols(): Record<Column, number[]> {
  return Object.fromEntries(COLUMNS.map((c) => [c, [] as number[]])) as unknown as Record<Column, number[]>;
}
