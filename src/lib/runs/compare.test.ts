import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, DEFAULTS, diffKeys, validate, type Config } from '../config';
import { AUG_KEYS, AUG_PRESETS } from './augPresets';
import { applyVariant, decodeCompareLink, differingKeys, encodeCompareLink, finalScores, isCompareHash, metricsCsv, sameConfig } from './compare';
import { EVAL_KEYS, METRIC_KEYS } from './serialize';
import { fakeRun } from './testRuns';

describe('comparison variants', () => {
  const base = validate({ seed: 3, steps: 5 }, 'tiny');

  it('an augmentation variant changes only augmentation keys, a method variant only the method', () => {
    for (const p of AUG_PRESETS) {
      const b = applyVariant(base, { kind: 'aug', preset: p.name });
      for (const k of diffKeys(base, b)) expect(AUG_KEYS as readonly string[]).toContain(k);
      // the same model, data and seed
      for (const k of ['seed', 'dataset', 'ndf', 'nRkhs', 'batchSize', 'steps', 'method', 'lr'] as const) expect(b[k]).toBe(base[k]);
    }
    expect(diffKeys(base, applyVariant(base, { kind: 'method', method: 'dim' }))).toEqual(['method']);
    expect(diffKeys(base, applyVariant(base, { kind: 'aug', preset: 'amdim-stl' }))).toEqual(['crop']);
    expect(diffKeys(base, applyVariant(base, { kind: 'custom', changes: { hue: 0, grayP: 0.5 } }))).toEqual(['hue', 'grayP']);
    expect(() => applyVariant(base, { kind: 'custom', changes: { lr: 0.1 } })).toThrow(/"lr" is neither/);
  });

  it('differingKeys agrees with a pairwise reference over 2-4 configs', () => {
    const cs: Config[] = [base, applyVariant(base, { kind: 'aug', preset: 'strong' }), applyVariant(base, { kind: 'method', method: 'dim' }), validate({ ...base, seed: 9 })];
    for (let n = 2; n <= 4; n++) {
      const set = cs.slice(0, n);
      const ref = CONFIG_KEYS.filter((k) => set.some((a) => set.some((b) => diffKeys(a, b).includes(k))));
      expect(differingKeys(set)).toEqual(ref);
    }
    expect(differingKeys([base, base])).toEqual([]);
    expect(differingKeys([base])).toEqual([]);
  });
});

describe('comparison link', () => {
  const a = validate({ seed: 3, steps: 5, backend: 'cpu', embedEvery: 1000 }, 'tiny');
  const b = applyVariant(a, { kind: 'aug', preset: 'none' });

  it('round-trips the configs, names and dataset', () => {
    const h = encodeCompareLink({ dataset: 'embedded', configs: [a, b], names: ['A: base', 'B: ünïcode "none"'] });
    expect(h.startsWith('compare=')).toBe(true);
    expect(/^[A-Za-z0-9_=-]+$/.test(h)).toBe(true);
    expect(isCompareHash('#' + h)).toBe(true);
    const d = decodeCompareLink('#' + h);
    expect(d.dataset).toBe('embedded');
    expect(d.names).toEqual(['A: base', 'B: ünïcode "none"']);
    expect(sameConfig(d.configs[0], a) && sameConfig(d.configs[1], b)).toBe(true);
  });

  it('rejects damaged or invalid links with a clear message', () => {
    const enc = (body: unknown) => 'compare=' + btoa(JSON.stringify(body)).replace(/=+$/, '');
    expect(() => decodeCompareLink('#ndf=8')).toThrow(/#compare=/);
    expect(() => decodeCompareLink('compare=%%%')).toThrow(/damaged/);
    expect(() => decodeCompareLink(enc({ v: 2, dataset: 'x', runs: [] }))).toThrow(/version/);
    expect(() => decodeCompareLink(enc({ v: 1, dataset: 'x', runs: [{ diff: {} }] }))).toThrow(/2 to 24 runs/);
    expect(() => decodeCompareLink(enc({ v: 1, dataset: 'x', runs: [{ diff: {} }, { diff: { ndf: -1 } }] }))).toThrow(/Run 2 .*config\.ndf/);
    expect(() => decodeCompareLink(enc({ v: 1, dataset: 'x', runs: Array.from({ length: 25 }, () => ({ diff: {} })) }))).toThrow(/holds 25/);
    expect(() => decodeCompareLink(enc({ v: 1, dataset: 'x', runs: [{ diff: {} }, { diff: { bogus: 1 } }] }))).toThrow(/unknown key "bogus"/);
  });

  it('only non-default keys travel', () => {
    const h = encodeCompareLink({ dataset: 'embedded', configs: [DEFAULTS as Config, DEFAULTS as Config], names: ['', ''] });
    expect(h.length).toBeLessThan(140);
    expect(JSON.parse(atob(h.slice(8).replace(/-/g, "+").replace(/_/g, "/")))).toEqual({ v: 1, dataset: "embedded", runs: [{ name: "", diff: {} }, { name: "", diff: {} }] });
  });
});

describe('final scores and CSV', () => {
  it('final scores take the last values and the mean speed after the first window', () => {
    const r = fakeRun(2, 6);
    const s = finalScores(r);
    expect(s.nceEst1t5).toBe(r.metrics.cols.nceEst1t5[5]);
    expect(s.bound1t7).toBe(r.metrics.cols.bound1t7[5]);
    expect(s.knnTrained).toBe(r.evals.cols.knnTrained[r.evals.step.length - 1]);
    expect(s.linPixels).toBe(r.evals.cols.linPixels[r.evals.step.length - 1]);
    const sps = r.metrics.cols.stepsPerSec.slice(1);
    expect(s.stepsPerSec).toBeCloseTo(sps.reduce((x, y) => x + y) / sps.length, 12);
    expect(Number.isNaN(finalScores(fakeRun(3, 0)).bound1t5)).toBe(true);
  });

  it('CSV has one row per (run, step) and its cells parse back to the values', () => {
    const runs = [fakeRun(1, 8), fakeRun(2, 5)];
    const csv = metricsCsv(runs);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(['run_id', 'run_name', 'step', ...METRIC_KEYS, ...EVAL_KEYS].join(','));
    expect(lines.length).toBe(1 + 8 + 5);
    // a quoted name with a comma and quotes: parse by a simple CSV reader (reference)
    const parse = (line: string): string[] => {
      const out: string[] = [];
      let cur = '', q = false;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (q) {
          if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
          else if (ch === '"') q = false;
          else cur += ch;
        } else if (ch === '"') q = true;
        else if (ch === ',') out.push(cur), (cur = '');
        else cur += ch;
      }
      return [...out, cur];
    };
    const header = parse(lines[0]);
    const row = parse(lines[4]); // run 1, step 4: an evaluation step
    expect(row[1]).toBe(runs[0].name);
    expect(Number(row[header.indexOf('step')])).toBe(4);
    expect(Number(row[header.indexOf('nceEst1t7')])).toBe(runs[0].metrics.cols.nceEst1t7[3]);
    expect(Number(row[header.indexOf('bound1t7')])).toBe(runs[0].metrics.cols.bound1t7[3]);
    expect(Number(row[header.indexOf('knnTrained')])).toBe(runs[0].evals.cols.knnTrained[0]);
    expect(parse(lines[1])[header.indexOf('probeLoss')]).toBe(''); // NaN → blank
    expect(parse(lines[1])[header.indexOf('knnTrained')]).toBe(''); // no evaluation at step 1
    expect(header.some((h) => h.startsWith('mi'))).toBe(false); // nothing is called MI that is not a bound
    expect(parse(lines[9])[0]).toBe('run-2');
  });

  it('CSV run names cannot run as spreadsheet formulas (=, +, -, @, tab, CR first)', () => {
    for (const name of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      const run = { ...fakeRun(1, 1), name };
      const line = metricsCsv([run]).split('\n')[1];
      // The name is the second field; unquoted or quoted, its text starts with the defusing apostrophe.
      const field = line.slice(line.indexOf(',') + 1);
      const text = field.startsWith('"') ? field.slice(1) : field;
      expect(text.startsWith("'" + name[0])).toBe(true);
    }
    // An ordinary name is left alone.
    expect(metricsCsv([{ ...fakeRun(1, 1), name: 'baseline' }]).split('\n')[1]).toMatch(/^run-1,baseline,1,/);
  });
});
