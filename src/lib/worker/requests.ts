/**
 * Page-side bookkeeping for requests to a worker: each request gets an id, and its promise settles exactly
 * once: with the worker's reply of that id, with a timeout error, or with `RequestCancelled` when its run
 * is replaced or the worker goes away. No request waits forever.
 */

/** The request's run was replaced (reset) or the worker stopped: nobody waits for the answer any more. */
export class RequestCancelled extends Error {
  override name = 'RequestCancelled';
}

export class RequestTimeout extends Error {
  override name = 'RequestTimeout';
}

/** What the worker answers to request `reqId`. */
export type Reply = { type: 'reply'; reqId: number; ok: true; value?: unknown } | { type: 'reply'; reqId: number; ok: false; message: string };

interface Open {
  runId: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  #next = 1;
  #open = new Map<number, Open>();

  /** Requests still waiting for an answer. */
  get pending(): number {
    return this.#open.size;
  }

  /** Open a request for run `runId`: its id (to send) and its answer. `what` names it in the timeout message. */
  open<T>(runId: number, what: string, timeoutMs: number): { reqId: number; answer: Promise<T> } {
    const reqId = this.#next++;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#open.delete(reqId);
        reject(new RequestTimeout(`The training worker did not answer "${what}" within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      this.#open.set(reqId, { runId, resolve: resolve as (v: unknown) => void, reject, timer });
    });
    return { reqId, answer };
  }

  /** Settle the request a reply answers; false when none waits for it (already timed out or cancelled). */
  settle(r: Reply): boolean {
    const o = this.#open.get(r.reqId);
    if (!o) return false;
    this.#open.delete(r.reqId);
    clearTimeout(o.timer);
    if (r.ok) o.resolve(r.value);
    else o.reject(new Error(r.message));
    return true;
  }

  /** Cancel every request not for run `keep` (all of them when `keep` is omitted). */
  cancel(reason: string, keep?: number): void {
    for (const [id, o] of this.#open)
      if (o.runId !== keep) {
        this.#open.delete(id);
        clearTimeout(o.timer);
        o.reject(new RequestCancelled(reason));
      }
  }
}
