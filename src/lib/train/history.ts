/**
 * A run's curves, kept once and bounded: every logged point until `max` are held, then only points whose
 * step is a multiple of a stride that doubles each time the cap is reached (1, 2, 4, …). The points kept
 * are real logged points, not averages, so a curve drawn from them is true at every point it shows; the
 * memory, the checkpoint and the page's resume message stay under `max` points however long the run.
 * Copies in and out use loops, never a spread: a spread of 150,000+ arguments overflows the stack.
 */
export const HISTORY_MAX = 20_000;

export class DecimatedHistory<T extends { step: number }> {
  readonly max: number;
  #points: T[] = [];
  #stride = 1;

  constructor(max = HISTORY_MAX) {
    if (!Number.isInteger(max) || max < 2) throw new RangeError(`history: max must be an integer ≥ 2, got ${max}`);
    this.max = max;
  }

  /** The points kept, oldest first (do not modify). */
  get points(): readonly T[] {
    return this.#points;
  }

  /** Keep every `stride`-th logged step. */
  get stride(): number {
    return this.#stride;
  }

  get length(): number {
    return this.#points.length;
  }

  at(i: number): T | undefined {
    return this.#points.at(i);
  }

  /** Append one point; a point for the step of the last one replaces it (a repeated evaluation). */
  push(p: T): void {
    const last = this.#points.at(-1);
    if (last && last.step === p.step) this.#points.pop();
    if (p.step % this.#stride !== 0) return;
    this.#points.push(p);
    while (this.#points.length > this.max) {
      this.#stride *= 2;
      const s = this.#stride;
      this.#points = this.#points.filter((q) => q.step % s === 0);
    }
  }

  pushAll(ps: ArrayLike<T>): void {
    for (let i = 0; i < ps.length; i++) this.push(ps[i]);
  }

  /** Start again from `ps` (a checkpoint's curves, of any length). */
  replace(ps: ArrayLike<T>): void {
    this.#points = [];
    this.#stride = 1;
    this.pushAll(ps);
  }

  /** A copy for a checkpoint or a message. */
  toArray(): T[] {
    return this.#points.slice();
  }
}
