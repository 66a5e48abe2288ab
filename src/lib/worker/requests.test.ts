import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestCancelled, RequestTimeout, Requests } from './requests';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Requests: every request settles once', () => {
  it('resolves with the reply of its own id, whatever the order of replies', async () => {
    const r = new Requests();
    const a = r.open<number>(1, 'a', 1000), b = r.open<string>(1, 'b', 1000);
    expect(a.reqId).not.toBe(b.reqId);
    expect(r.settle({ type: 'reply', reqId: b.reqId, ok: true, value: 'B' })).toBe(true);
    expect(r.settle({ type: 'reply', reqId: a.reqId, ok: true, value: 7 })).toBe(true);
    await expect(a.answer).resolves.toBe(7);
    await expect(b.answer).resolves.toBe('B');
    expect(r.pending).toBe(0);
  });

  it('rejects with the worker message on an error reply', async () => {
    const r = new Requests();
    const a = r.open(1, 'export-model', 1000);
    r.settle({ type: 'reply', reqId: a.reqId, ok: false, message: 'no run' });
    await expect(a.answer).rejects.toThrow('no run');
  });

  it('rejects after its timeout, naming the request, and ignores a late reply', async () => {
    const r = new Requests();
    const a = r.open(1, 'export-model', 5000);
    const settled = expect(a.answer).rejects.toThrow(/did not answer "export-model" within 5 s/);
    vi.advanceTimersByTime(4999);
    expect(r.pending).toBe(1);
    vi.advanceTimersByTime(1);
    await settled;
    await expect(a.answer).rejects.toBeInstanceOf(RequestTimeout);
    expect(r.settle({ type: 'reply', reqId: a.reqId, ok: true })).toBe(false);
  });

  it('cancels the requests of replaced runs and keeps the current run', async () => {
    const r = new Requests();
    const old = r.open(1, 'start', 1000), cur = r.open(2, 'start', 1000);
    r.cancel('run replaced', 2);
    await expect(old.answer).rejects.toBeInstanceOf(RequestCancelled);
    expect(r.pending).toBe(1);
    r.cancel('worker stopped');
    await expect(cur.answer).rejects.toThrow('worker stopped');
    expect(r.pending).toBe(0);
    vi.advanceTimersByTime(10_000); // no timer left to fire
  });
});
