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
    expect(bad((o) => o.metrics.cols.mi1t5.pop())).toThrow(/run\.metrics\.cols\.mi1t5: has 11 values for 12 steps/);
    expect(bad((o) => (o.evals.cols.knn = 'x'))).toThrow(/run\.evals\.cols\.knn/);
    expect(bad((o) => (o.embedding.features = o.embedding.features.slice(8)))).toThrow(/run\.embedding\.features: holds/);
    expect(bad((o) => (o.embedding.labels = [1]))).toThrow(/run\.embedding\.labels/);
  });
});
