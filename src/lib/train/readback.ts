/**
 * Metrics read back from the GPU without a stall per step: each step's scalars join a window; a full
 * window is packed into one tensor whose read-back starts at once and is awaited only while later steps
 * run. Also measures throughput between windows.
 */
import * as tf from '@tensorflow/tfjs';
import { STEP_KEYS } from './step';
import type { MetricPoint } from './types';

type Pending = { steps: number[]; lrs: number[]; packed: tf.Tensor; t0: number; t1: number; time: number };

export class MetricReadback {
  #batchSize: number;
  #onPoints: (points: MetricPoint[]) => void;
  #pending: Pending[] = [];
  #window: { step: number; lr: number; out: Record<string, tf.Scalar> }[] = [];
  #lastLogTime = 0;

  /** `onPoints` gets each window's points, in step order. */
  constructor(batchSize: number, onPoints: (points: MetricPoint[]) => void) {
    this.#batchSize = batchSize;
    this.#onPoints = onPoints;
  }

  /** Steps waiting in the current window. */
  get windowed(): number {
    return this.#window.length;
  }

  /** Step `step` (0-based) ran with learning rate `lr` and gave the scalars `out` (owned from now on). */
  add(step: number, lr: number, out: Record<string, tf.Scalar>): void {
    this.#window.push({ step, lr, out });
  }

  /** Pack the window's scalars into one tensor and start its read-back without waiting for it. */
  flush(t0: number, time: number): void {
    if (!this.#window.length) return;
    const w = this.#window;
    this.#window = [];
    const packed = tf.tidy(() => tf.stack(w.map((e) => tf.stack(STEP_KEYS.map((k) => e.out[k] ?? tf.scalar(0))))));
    for (const e of w) for (const t of Object.values(e.out)) t.dispose();
    this.#pending.push({ steps: w.map((e) => e.step), lrs: w.map((e) => e.lr), packed, t0, t1: performance.now(), time });
  }

  /** Wait for read-backs until at most `keep` are in flight. */
  async drain(keep: number): Promise<void> {
    while (this.#pending.length > keep) {
      const p = this.#pending.shift()!;
      const v = (await p.packed.data()) as Float32Array; // (n, STEP_KEYS)
      p.packed.dispose();
      // Rate between successive windows being queued: with at most two read-backs in flight the queueing
      // is throttled to the GPU's pace, so this is throughput, not just the CPU's enqueue speed.
      const since = this.#lastLogTime > 0 && this.#lastLogTime < p.t1 ? this.#lastLogTime : p.t0;
      const sps = p.steps.length / Math.max(1e-6, (p.t1 - since) / 1000);
      this.#lastLogTime = p.t1;
      this.#onPoints(
        p.steps.map((step, r) => {
          const pt = { step: step + 1, lr: p.lrs[r], stepsPerSec: sps, imagesPerSec: sps * this.#batchSize, time: p.time } as MetricPoint;
          STEP_KEYS.forEach((k, c) => (pt[k] = v[r * STEP_KEYS.length + c]));
          return pt;
        }),
      );
    }
  }

  /** Reset the steps/s clock (after a pause, so idle time is not counted). */
  resetClock(): void {
    this.#lastLogTime = 0;
  }

  dispose(): void {
    for (const e of this.#window) for (const t of Object.values(e.out)) t.dispose();
    for (const p of this.#pending) p.packed.dispose();
    this.#window = [];
    this.#pending = [];
  }
}
