import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { loadRun, saveRun, useDatabase } from '../data/store';
import { fakeRun } from './testRuns';
import { fromBase64, fromRecord, runFromJson, runToJson, toBase64, toRecord, type RunData } from './serialize';

/** Equality that treats NaN as equal to NaN and compares typed arrays element by element. */
function expectSame(a: RunData, b: RunData): void {
  expect(JSON.stringify({ ...a, embedding: null }, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)))
    .toBe(JSON.stringify({ ...b, embedding: null }, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)));
  expect(!!a.embedding).toBe(!!b.embedding);
  if (a.embedding && b.embedding) {
    expect(Array.from(b.embedding.features)).toEqual(Array.from(a.embedding.features));
    expect(b.embedding.labels && Array.from(b.embedding.labels)).toEqual(a.embedding.labels && Array.from(a.embedding.labels));
    expect([b.embedding.n, b.embedding.dim, b.embedding.step]).toEqual([a.embedding.n, a.embedding.dim, a.embedding.step]);
  }
}

describe('run serialisation', () => {
  it('base64 matches a naive per-byte reference', () => {
    const bytes = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 131 + 7) & 255);
    let ref = '';
    for (const b of bytes) ref += String.fromCharCode(b);
    expect(toBase64(bytes)).toBe(btoa(ref));
    expect(Array.from(fromBase64(toBase64(bytes)))).toEqual(Array.from(bytes));
  });

  it('JSON round-trips every field, NaN and the embedding', () => {
    for (const r of [fakeRun(1), fakeRun(2, 3, false), fakeRun(3, 0, true)]) expectSame(r, runFromJson(runToJson(r)));
  });

  it('the JSON embedding is little-endian float32', () => {
    const r = fakeRun(4);
    const j = JSON.parse(runToJson(r));
    const bytes = fromBase64(j.embedding.features);
    expect(new DataView(bytes.buffer).getFloat32(4, true)).toBe(r.embedding!.features[1]);
  });

  it('store record round-trips, also through IndexedDB', async () => {
    const r = fakeRun(5, 2500); // more than one stored metrics chunk
    expectSame(r, fromRecord(toRecord(r)));
    useDatabase('serialize-test');
    await saveRun(toRecord(r));
    expectSame(r, fromRecord((await loadRun(r.id))!));
  });

  it('import names the bad field', () => {
    const good = JSON.parse(runToJson(fakeRun(6)));
    const bad = (f: (o: Record<string, any>) => void) => {
      const o = structuredClone(good);
      f(o);
      return () => runFromJson(JSON.stringify(o));
    };
    expect(() => runFromJson('{nope')).toThrow(/does not parse/);
    expect(() => runFromJson('[]')).toThrow(/expected a JSON object/);
    expect(bad((o) => (o.format = 'other'))).toThrow(/format/);
    expect(bad((o) => (o.version = 9))).toThrow(/version 9/);
    expect(bad((o) => (o.config.ndf = 'wide'))).toThrow(/run\.config: config\.ndf/);
    expect(bad((o) => (o.config.colour = 1))).toThrow(/unknown key "colour"/);
    expect(bad((o) => (o.id = 'a b'))).toThrow(/run\.id/);
    expect(bad((o) => o.metrics.cols.nceEst1t5.pop())).toThrow(/run\.metrics\.cols\.nceEst1t5: has 11 values for 12 steps/);
    expect(bad((o) => (o.evals.cols.knnTrained = 'x'))).toThrow(/run\.evals\.cols\.knnTrained/);
    expect(bad((o) => (o.embedding.features = o.embedding.features.slice(8)))).toThrow(/run\.embedding\.features: holds/);
    expect(bad((o) => (o.embedding.labels = [1]))).toThrow(/run\.embedding\.labels/);
  });
});

describe('runs saved before issue 13 (MI named as a bound, online probe as "linear")', () => {
  /** A version-1 file: what runToJson wrote then, built from today's run by renaming back. */
  function legacyJson(r: RunData): Record<string, any> {
    const j = JSON.parse(runToJson(r));
    j.version = 1;
    const m = j.metrics.cols;
    for (const p of ['1t5', '1t7', '5t5']) {
      m[`mi${p}`] = m[`nceEst${p}`];
      delete m[`nceEst${p}`];
      delete m[`bound${p}`];
    }
    const e = j.evals.cols;
    j.evals.cols = { linear: e.probeOnline, knn: e.knnTrained, linearRandom: e.linRandom, knnRandom: e.knnRandom };
    return j;
  }

  it('a version-1 file loads with the estimate relabelled, no bound, and each accuracy under what it was', () => {
    const r = fakeRun(8);
    const back = runFromJson(JSON.stringify(legacyJson(r)));
    expect(back.metrics.cols.nceEst1t7).toEqual(r.metrics.cols.nceEst1t7);
    expect(back.metrics.cols.bound1t7.every(Number.isNaN)).toBe(true);
    expect(back.metrics.cols.total).toEqual(r.metrics.cols.total);
    expect(back.evals.cols.probeOnline).toEqual(r.evals.cols.probeOnline);
    expect(back.evals.cols.knnTrained).toEqual(r.evals.cols.knnTrained);
    expect(back.evals.cols.linRandom).toEqual(r.evals.cols.linRandom);
    for (const k of ['linTrained', 'linPixels', 'knnPixels', 'heldOut'] as const) expect(back.evals.cols[k].every(Number.isNaN), k).toBe(true);
    expect(Object.keys(back.metrics.cols).some((k) => k.startsWith('mi'))).toBe(false);
  });

  it('a stored record with the old row names loads the same way', () => {
    const r = fakeRun(9);
    const rec = toRecord(r);
    rec.metrics = rec.metrics.map((row) => {
      const o = { ...(row as Record<string, unknown>) };
      if (o.kind === 'metric') for (const p of ['1t5', '1t7', '5t5']) (o[`mi${p}`] = o[`nceEst${p}`]), delete o[`nceEst${p}`], delete o[`bound${p}`];
      if (o.kind === 'eval') return { kind: 'eval', step: o.step, linear: o.probeOnline, knn: o.knnTrained, knnRandom: o.knnRandom, linearRandom: o.linRandom };
      return o;
    });
    const back = fromRecord(rec);
    expect(back.metrics.cols.nceEst5t5).toEqual(r.metrics.cols.nceEst5t5);
    expect(back.metrics.cols.bound5t5.every(Number.isNaN)).toBe(true);
    expect(back.evals.cols.probeOnline).toEqual(r.evals.cols.probeOnline);
    expect(back.evals.cols.linTrained.every(Number.isNaN)).toBe(true);
  });
});
