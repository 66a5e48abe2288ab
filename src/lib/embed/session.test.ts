import { describe, expect, it } from 'vitest';
import { gaussianClusters } from './clusters';
import { knnAccuracy } from './knn';
import { DEFAULT_LAYOUT, type FromEmbed } from './protocol';
import { EmbedSession } from './session';

type Layout = Extract<FromEmbed, { type: 'layout' }>;

function harness() {
  const out: FromEmbed[] = [];
  const s = new EmbedSession((m) => out.push(m));
  const run = () => {
    let guard = 0;
    while (s.work(1000) && guard++ < 1000);
  };
  const layouts = () => out.filter((m): m is Layout => m.type === 'layout');
  return { s, out, run, layouts };
}

const n = 160, dim = 12;
const { data, labels } = gaussianClusters(n, dim, 4, 11, 8);
const indices = Int32Array.from({ length: n }, (_, i) => 1000 + i);
const snap = (step: number, features = data) => ({ step, n, dim, features, labels, indices });

describe('EmbedSession', () => {
  it('posts neighbours with the same kNN score as knnAccuracy, then a finished t-SNE layout', () => {
    const h = harness();
    h.s.setParams({ ...DEFAULT_LAYOUT, iterations: 300, perplexity: 15 });
    h.s.setData(snap(10));
    const nb = h.out.find((m) => m.type === 'neighbors');
    expect(nb?.type === 'neighbors' && nb.knn).toBe(knnAccuracy(data, n, dim, labels, 20));
    h.run();
    const last = h.layouts().at(-1)!;
    expect(last.done).toBe(true);
    expect(last.iteration).toBe(300);
    expect(last.coords.length).toBe(n * 2);
    expect(last.kl).toBeGreaterThan(0);
    expect(h.s.busy).toBe(false);
  });

  it('continues from the previous layout when new features arrive', () => {
    const h = harness();
    h.s.setParams({ ...DEFAULT_LAYOUT, iterations: 200, perplexity: 15 });
    h.s.setData(snap(10));
    h.run();
    const before = h.layouts().at(-1)!.coords;
    const moved = data.map((v, t) => v + 0.01 * Math.sin(t));
    h.s.setData(snap(20, moved));
    const first = h.layouts().at(-1)!;
    expect(first.step).toBe(20);
    expect(first.iteration).toBe(0);
    expect(Array.from(first.coords)).toEqual(Array.from(before)); // starts exactly where the last one ended
  });

  for (const method of ['pca', 'umap'] as const)
    it(`lays out with ${method} in 3-D`, () => {
      const h = harness();
      h.s.setParams({ ...DEFAULT_LAYOUT, method, outDim: 3 });
      h.s.setData(snap(5));
      h.run();
      const last = h.layouts().at(-1)!;
      expect(last.method).toBe(method);
      expect(last.done).toBe(true);
      expect(last.coords.length).toBe(n * 3);
      expect(last.coords.every(Number.isFinite)).toBe(true);
    });

  it('rejects bad input with a message naming it', () => {
    const h = harness();
    expect(() => h.s.setParams({ ...DEFAULT_LAYOUT, perplexity: -1 })).toThrow(/perplexity/);
    expect(() => h.s.setData({ ...snap(1), features: new Float32Array(3) })).toThrow(/feature values/);
  });

  it('without labels: clusters by k-means that find the true groups, and keep their numbers as features move', () => {
    const h = harness();
    h.s.setParams({ ...DEFAULT_LAYOUT, iterations: 50, perplexity: 15 });
    h.s.setData({ ...snap(1), labels: null });
    type Clusters = Extract<FromEmbed, { type: 'clusters' }>;
    const first = h.out.find((m): m is Clusters => m.type === 'clusters')!;
    expect(first.algorithm).toMatch(/k-means.*k-means\+\+/);
    expect(first.assign.length).toBe(n);
    // k = defaultK(160) = 9 clusters for 4 true groups: every found cluster lies inside one true group
    for (let j = 0; j < first.k; j++) expect(new Set(Array.from(labels).filter((_, i) => first.assign[i] === j)).size).toBeLessThanOrEqual(1);
    h.s.setData({ ...snap(2, data.map((v, t) => v + 0.01 * Math.cos(t))), labels: null });
    const second = h.out.filter((m): m is Clusters => m.type === 'clusters').at(-1)!;
    expect(second.step).toBe(2);
    expect(Array.from(second.assign)).toEqual(Array.from(first.assign));
    // with labels there is nothing to cluster
    const g = harness();
    g.s.setData(snap(3));
    expect(g.out.some((m) => m.type === 'clusters')).toBe(false);
  });
});
