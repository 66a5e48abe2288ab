import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { gaussianClusters } from '../embed/clusters';
import { scoreFeatures } from './evaluate';
import { crossValidate, foldsOf, labelSource, MIN_PER_CLASS, tagPoint, tagSet, tagShortfall } from './tagged';

/** Random tags on held-out indices 0…99 and a random probe set of 40 of them. */
function randomCase(seed: number) {
  const rng = new Rng(seed);
  const names = ['cats', 'dogs', 'boats'];
  const tags = new Map<number, string>();
  for (let i = 0; i < 100; i++) if (rng.uniform(0, 1) < 0.3) tags.set(i, names[Math.floor(rng.uniform(0, 1) * names.length)]);
  const all = Int32Array.from({ length: 100 }, (_, i) => i);
  rng.shuffle(all);
  return { tags, probe: all.slice(0, 40) };
}

describe('tagSet', () => {
  it('matches a naive lookup of every map position', () => {
    for (let seed = 0; seed < 5; seed++) {
      const { tags, probe } = randomCase(seed);
      const s = tagSet(probe, tags);
      // reference: walk the map, look each photo up, sort by (name, position)
      const ref: { name: string; k: number }[] = [];
      probe.forEach((idx, k) => tags.has(idx) && ref.push({ name: tags.get(idx)!, k }));
      ref.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.k - b.k));
      expect(Array.from(s.positions)).toEqual(ref.map((r) => r.k));
      expect(Array.from(s.labels, (c) => s.classNames[c])).toEqual(ref.map((r) => r.name));
      expect(s.counts.reduce((a, b) => a + b, 0)).toBe(ref.length);
      expect(s.offMap).toBe(tags.size - ref.length);
      expect(ref.length).toBeGreaterThan(3);
      expect(s.offMap).toBeGreaterThan(0);
      expect(s.classNames).toEqual([...s.classNames].sort());
    }
  });
});

describe('which labels score a run', () => {
  it('folder labels win; tags need two classes with enough photos each', () => {
    expect(labelSource(true, { counts: [5, 5] })).toBe('folders');
    expect(labelSource(true, null)).toBe('folders');
    expect(labelSource(false, null)).toBe('none');
    expect(labelSource(false, { counts: [9] })).toBe('none');
    expect(labelSource(false, { counts: [MIN_PER_CLASS, MIN_PER_CLASS - 1] })).toBe('none');
    expect(labelSource(false, { counts: [MIN_PER_CLASS, MIN_PER_CLASS] })).toBe('tags');
    expect(tagShortfall({ counts: [] })).toMatch(/at least two kinds/);
    expect(tagShortfall({ counts: [3, 1] })).toMatch(/at least 2 photos/);
    expect(tagShortfall({ counts: [2, 2, 2] })).toBeNull();
  });
});

describe('folds', () => {
  it('predict every row once and keep every class in every training fold', () => {
    for (const counts of [[2, 2], [2, 3, 7], [5, 5, 5, 2], [40, 2]]) {
      const labels = Int32Array.from(counts.flatMap((c, i) => Array<number>(c).fill(i)));
      const { fold, K } = foldsOf(labels.length);
      expect(K).toBe(Math.min(5, labels.length));
      const seen = new Int32Array(labels.length);
      for (let f = 0; f < K; f++) {
        for (let r = 0; r < labels.length; r++) if (fold[r] === f) seen[r]++;
        for (let c = 0; c < counts.length; c++) expect(labels.some((y, r) => y === c && fold[r] !== f)).toBe(true);
      }
      expect(Array.from(seen).every((v) => v === 1)).toBe(true);
    }
  });
});

/**
 * Slow, obvious leave-one-out kNN: standardise by the other rows, cosine to each, sort, vote among the
 * k = min(20, smallest class among the others) nearest.
 */
function looKnnReference(x: Float32Array, dim: number, labels: Int32Array): { acc: number; ks: number[] } {
  const n = labels.length;
  let right = 0;
  const ks: number[] = [];
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    const sizes = [...new Set(others.map((j) => labels[j]))].map((c) => others.filter((j) => labels[j] === c).length);
    const k = Math.min(20, ...sizes);
    ks.push(k);
    const mean = Array.from({ length: dim }, (_, d) => others.reduce((s, j) => s + x[j * dim + d], 0) / others.length);
    const std = Array.from({ length: dim }, (_, d) => Math.sqrt(others.reduce((s, j) => s + (x[j * dim + d] - mean[d]) ** 2, 0) / others.length) + 1e-6);
    const z = (j: number) => Array.from({ length: dim }, (_, d) => (x[j * dim + d] - mean[d]) / std[d]);
    const cos = (a: number[], b: number[]) => a.reduce((s, v, d) => s + v * b[d], 0) / Math.hypot(...a) / Math.hypot(...b);
    const q = z(i);
    const near = others.map((j) => ({ y: labels[j], s: cos(q, z(j)) })).sort((a, b) => b.s - a.s).slice(0, k);
    // votes, ties broken by the larger summed similarity, then the smaller class (knnPredict's rule)
    const votes = new Map<number, { v: number; w: number }>();
    for (const { y, s } of near) votes.set(y, { v: (votes.get(y)?.v ?? 0) + 1, w: (votes.get(y)?.w ?? 0) + s });
    const best = [...votes].sort((a, b) => b[1].v - a[1].v || b[1].w - a[1].w || a[0] - b[0])[0][0];
    if (best === labels[i]) right++;
  }
  return { acc: right / n, ks };
}

describe('crossValidate', () => {
  it('leave-one-out kNN matches the slow reference', () => {
    // Overlapping clusters (separation 1) so that some photos are misclassified and the score is not trivially 1.
    const scores: number[] = [];
    for (const [n, classes] of [[12, 2], [21, 3], [26, 3], [50, 2]] as const) {
      const g = gaussianClusters(n, 6, classes, n, 1);
      const order = [...Array(n).keys()].sort((a, b) => g.labels[a] - g.labels[b] || a - b);
      const x = new Float32Array(n * 6);
      order.forEach((r, i) => x.set(g.data.subarray(r * 6, r * 6 + 6), i * 6));
      const labels = Int32Array.from(order, (r) => g.labels[r]);
      const cv = crossValidate(x, 6, labels, classes, n);
      expect(cv.folds).toBe(n);
      const ref = looKnnReference(x, 6, labels);
      expect(cv.knn).toBeCloseTo(ref.acc, 12);
      expect([cv.k, cv.kMax]).toEqual([Math.min(...ref.ks), Math.max(...ref.ks)]);
      expect(cv.n).toBe(n);
      scores.push(cv.knn);
    }
    expect(Math.min(...scores)).toBeLessThan(1);
  });

  it('pools the folds exactly as scoring each fold by hand does', () => {
    const n = 23, dim = 5, classes = 3;
    const g = gaussianClusters(n, dim, classes, 7, 1.5);
    const order = [...Array(n).keys()].sort((a, b) => g.labels[a] - g.labels[b] || a - b);
    const x = new Float32Array(n * dim);
    order.forEach((r, i) => x.set(g.data.subarray(r * dim, (r + 1) * dim), i * dim));
    const labels = Int32Array.from(order, (r) => g.labels[r]);
    const cv = crossValidate(x, dim, labels, classes);
    let knn = 0, lin = 0;
    for (let f = 0; f < 5; f++) {
      const te = [...Array(n).keys()].filter((r) => r % 5 === f), tr = [...Array(n).keys()].filter((r) => r % 5 !== f);
      const rows = (rs: number[]) => ({ x: Float32Array.from(rs.flatMap((r) => Array.from(x.subarray(r * dim, (r + 1) * dim)))), n: rs.length, labels: Int32Array.from(rs, (r) => labels[r]) });
      const k = Math.min(20, ...[0, 1, 2].map((c) => tr.filter((r) => labels[r] === c).length));
      const s = scoreFeatures(rows(tr), rows(te), dim, classes, { k });
      knn += s.knn * te.length;
      lin += s.linear * te.length;
    }
    expect(cv.folds).toBe(5);
    expect(cv.knn).toBeCloseTo(knn / n, 12);
    expect(cv.linear).toBeCloseTo(lin / n, 12);
    // well-separated enough that both beat chance (1/3) by far
    expect(cv.linear).toBeGreaterThan(0.6);
  });

  it('puts n next to the scores of the evaluation point', () => {
    const g = gaussianClusters(8, 3, 2, 1, 5);
    const order = [...Array(8).keys()].sort((a, b) => g.labels[a] - g.labels[b] || a - b);
    const x = Float32Array.from(order.flatMap((r) => Array.from(g.data.subarray(r * 3, r * 3 + 3))));
    const labels = Int32Array.from(order, (r) => g.labels[r]);
    const cv = crossValidate(x, 3, labels, 2);
    const p = tagPoint(40, { trained: cv, random: cv, pixels: cv });
    expect(p.heldOut).toBe(8);
    expect(p.knnK).toBe(cv.k);
    expect(p.knnTrained).toBe(cv.knn);
    expect(Number.isNaN(p.probeOnline)).toBe(true);
  });
});
