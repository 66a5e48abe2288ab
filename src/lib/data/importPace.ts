/**
 * Pace of an import, free of DOM and worker details: how much decoding may run at once (PixelBudget, so
 * memory stays bounded whatever the folder holds), and how fast it goes and how long is left (RateEstimator,
 * the figures under the progress bar). Hand-written: both are a few lines and no library fits them as is.
 */

/** Full-size pixels being decoded at once, over all files in flight: 48 MP ≈ 192 MB of RGBA, e.g. four 12 MP photos. */
export const DECODE_BUDGET_PIXELS = 48_000_000;

/**
 * A counting semaphore over pixels: acquire(n) waits until n more fit under the limit; a request larger
 * than the limit runs alone. Waiters are served first come, first served, so a big photo is not starved.
 */
export class PixelBudget {
  #used = 0;
  readonly #queue: { n: number; go: () => void }[] = [];
  constructor(readonly limit: number) {}
  get used(): number {
    return this.#used;
  }
  acquire(n: number): Promise<void> {
    return new Promise((go) => {
      this.#queue.push({ n, go });
      this.#pump();
    });
  }
  release(n: number): void {
    this.#used -= n;
    this.#pump();
  }
  #pump(): void {
    while (this.#queue.length) {
      const { n, go } = this.#queue[0];
      if (this.#used > 0 && this.#used + n > this.limit) return;
      this.#queue.shift();
      this.#used += n;
      go();
    }
  }
}

/** Seconds over which the rate forgets: long enough to ride over a slow photo, short enough to follow a change. */
export const RATE_TAU_S = 5;
/** No time left is shown before this much has been watched: the first round trips say little. */
export const ETA_WARMUP_S = 1;

/**
 * Smoothed rate of progress from (time, done) samples at any spacing: every interval's work and duration
 * are weighted by exp(-age / tau) and the rate is their ratio, Σ w·Δdone / Σ w·Δt. Over the first seconds
 * this is about the plain average (no bias towards zero, unlike an exponential average started at 0);
 * later it follows the recent pace. The first sample is the origin, so work counted before any time passed (files skipped
 * at planning) does not inflate it. Asked at a time after the last sample, the gap counts as an interval
 * with no progress, so a stalled import's rate falls and its time left grows.
 */
export class RateEstimator {
  #t0: number | null = null;
  #t = 0;
  #done = 0;
  /** Decayed sums of work and time, as of #t. */
  #work = 0;
  #time = 0;
  constructor(readonly tau = RATE_TAU_S, readonly warmup = ETA_WARMUP_S) {}

  /** A progress sample: `done` units at `t` seconds (t and done never decrease). */
  add(t: number, done: number): void {
    if (this.#t0 === null) {
      this.#t0 = this.#t = t;
      this.#done = done;
      return;
    }
    const dt = Math.max(0, t - this.#t);
    const decay = Math.exp(-dt / this.tau);
    this.#work = this.#work * decay + Math.max(0, done - this.#done);
    this.#time = this.#time * decay + dt;
    this.#t = Math.max(this.#t, t);
    this.#done = Math.max(this.#done, done);
  }

  /** Units per second at `now` (default: the last sample); null before any time has passed. */
  rate(now = this.#t): number | null {
    if (this.#t0 === null) return null;
    const gap = Math.max(0, now - this.#t);
    const decay = Math.exp(-gap / this.tau);
    const time = this.#time * decay + gap;
    return time > 0 ? (this.#work * decay) / time : null;
  }

  /** Seconds until `total` at `now`: null while warming up or before any progress. */
  secondsLeft(total: number, now = this.#t): number | null {
    if (this.#t0 === null || now - this.#t0 < this.warmup) return null;
    const left = Math.max(0, total - this.#done);
    if (left === 0) return 0;
    const r = this.rate(now);
    if (!r) return null;
    return left / r;
  }
}
