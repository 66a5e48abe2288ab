import { describe, expect, it } from 'vitest';
import { recordOnActivate, retireNow, type RetireRecord } from './retire';

const v1 = ['s/index.html?__WB_REVISION__=1', 's/assets/index-AAAA.js', 's/assets/train.worker-BBBB.js', 's/favicon.svg?__WB_REVISION__=f'];
const v2 = new Set(['s/index.html?__WB_REVISION__=2', 's/assets/index-CCCC.js', 's/assets/train.worker-BBBB.js', 's/favicon.svg?__WB_REVISION__=f']);

describe('retiring the previous version', () => {
  it('marks exactly the cached files the new manifest does not list, waiting for the clients open now', () => {
    const cached = [...v1, ...v2];
    const r = recordOnActivate(null, cached, v2, ['tabA', 'tabB', 'tabA']);
    // slow reference: filter one by one
    const expected: string[] = [];
    for (const k of cached) if (!v2.has(k) && !expected.includes(k)) expected.push(k);
    expect(r).toEqual({ keys: expected.sort(), clients: ['tabA', 'tabB'] });
    expect(r!.keys).toEqual(['s/assets/index-AAAA.js', 's/index.html?__WB_REVISION__=1']);
  });

  it('keeps everything while any recorded client lives, and deletes once none does', () => {
    const r = recordOnActivate(null, [...v1, ...v2], v2, ['tabA', 'tabB'])!;
    expect(retireNow(r, new Set(['tabB', 'tabC']), v2)).toEqual({ remove: [], keep: r });
    expect(retireNow(r, new Set(['tabC']), v2)).toEqual({ remove: r.keys, keep: null });
  });

  it('carries an older record forward, so a tab two versions behind still has its files', () => {
    const older: RetireRecord = { keys: ['s/assets/index-0000.js'], clients: ['tab0'] };
    const v3 = new Set(['s/index.html?__WB_REVISION__=3', 's/assets/index-DDDD.js']);
    const r = recordOnActivate(older, [...v2, ...v3], v3, ['tab0', 'tab2'])!;
    expect(r.keys).toContain('s/assets/index-0000.js');
    expect(r.keys).toContain('s/assets/index-CCCC.js');
    expect(r.keys.some((k) => v3.has(k))).toBe(false);
    expect(retireNow(r, new Set(['tab0']), v3).remove).toEqual([]);
  });

  it('never deletes a file that the active version lists again', () => {
    const r: RetireRecord = { keys: ['s/a.js', 's/b.js'], clients: [] };
    expect(retireNow(r, new Set(), new Set(['s/b.js'])).remove).toEqual(['s/a.js']);
  });

  it('records nothing when nothing is stale', () => {
    expect(recordOnActivate(null, [...v2], v2, ['tabA'])).toBeNull();
    expect(retireNow(null, new Set(), v2)).toEqual({ remove: [], keep: null });
  });
});
