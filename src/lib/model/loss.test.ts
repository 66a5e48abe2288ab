import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { Features } from './encoder';
import { amdimLoss, infoNceBound, nceCandidates, nceScores, sampleSrc5, type AmdimLoss } from './loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Vec = number[];
interface PlainFeatures {
  r1: Vec[]; // [i][d]
  r5: Vec[][]; // [i][l][d]
  r7: Vec[][];
}

function randomFeatures(rng: Rng, B: number, D: number, scale: number): { tensors: Features; plain: PlainFeatures } {
  const draw = (t: number) => Array.from({ length: B }, () => Array.from({ length: t * t }, () => Array.from({ length: D }, () => scale * rng.normal())));
  const plain = { r1: draw(1).map((m) => m[0]), r5: draw(5), r7: draw(7) };
  const tensors = {
    r1: tf.tensor4d(plain.r1.flat(), [B, 1, 1, D]),
    r5: tf.tensor4d(plain.r5.flat(2), [B, 5, 5, D]),
    r7: tf.tensor4d(plain.r7.flat(2), [B, 7, 7, D]),
  };
  return { tensors, plain };
}

/** The slow, obvious version of one directed term, in float64: scores, regulariser, clip, softmax over K. */
function referenceDirection(u: Vec[], v: Vec[][], c: number): { loss: number; reg: number; bound: number } {
  const B = u.length;
  const T = v[0].length;
  const D = u[0].length;
  const s: number[][][] = [];
  let sq = 0;
  for (let i = 0; i < B; i++) {
    s.push([]);
    for (let j = 0; j < B; j++) {
      s[i].push([]);
      for (let l = 0; l < T; l++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += u[i][d] * v[j][l][d];
        const raw = dot / Math.sqrt(D);
        sq += raw * raw;
        s[i][j].push(c * Math.tanh(raw / c));
      }
    }
  }
  let loss = 0;
  for (let i = 0; i < B; i++) {
    let neg = 0;
    for (let j = 0; j < B; j++) if (j !== i) for (let l = 0; l < T; l++) neg += Math.exp(s[i][j][l]);
    for (let l = 0; l < T; l++) {
      const pos = Math.exp(s[i][i][l]);
      loss += -Math.log(pos / (pos + neg));
    }
  }
  return { loss: loss / (B * T), reg: (0.05 * sq) / (B * B * T), bound: referenceBound(s) };
}

/** The image-level bound in float64 from clipped scores s[i][j][l], written as in the issue: mean_i f_ii − log((1/B) Σ_j e^{f_ij}). */
function referenceBound(s: number[][][]): number {
  const B = s.length;
  const f = s.map((row) => row.map((sl) => Math.log(sl.reduce((acc, x) => acc + Math.exp(x), 0) / sl.length)));
  let sum = 0;
  for (let i = 0; i < B; i++) sum += f[i][i] - Math.log(f[i].reduce((acc, x) => acc + Math.exp(x), 0) / B);
  return sum / B;
}

/** Clipped scores ŝ[i][j][l] = c·tanh(⟨u_i, v_jl⟩/(c√D)) in float64. */
function referenceScores(u: Vec[], v: Vec[][], c: number): number[][][] {
  const D = u[0].length;
  return u.map((ui) => v.map((vj) => vj.map((vl) => c * Math.tanh(ui.reduce((acc, x, d) => acc + x * vl[d], 0) / Math.sqrt(D) / c))));
}

function referenceLoss(a: PlainFeatures, b: PlainFeatures, c: number, src5: [ArrayLike<number>, ArrayLike<number>]): Record<keyof AmdimLoss, number> {
  const B = a.r1.length;
  const u5a = a.r5.map((m, i) => m[src5[0][i]]);
  const u5b = b.r5.map((m, i) => m[src5[1][i]]);
  const pairs = [
    [referenceDirection(a.r1, b.r5, c), referenceDirection(b.r1, a.r5, c)],
    [referenceDirection(a.r1, b.r7, c), referenceDirection(b.r1, a.r7, c)],
    [referenceDirection(u5a, b.r5, c), referenceDirection(u5b, a.r5, c)],
  ];
  const [l15, l17, l55] = pairs.map(([x, y]) => (x.loss + y.loss) / 2);
  const [b15, b17, b55] = pairs.map(([x, y]) => (x.bound + y.bound) / 2);
  const reg = pairs.reduce((acc, [x, y]) => acc + x.reg + y.reg, 0) / 2;
  return {
    loss1t5: l15,
    loss1t7: l17,
    loss5t5: l55,
    reg,
    total: l15 + l17 + l55 + reg,
    nceEst1t5: Math.log(1 + (B - 1) * 25) - l15,
    nceEst1t7: Math.log(1 + (B - 1) * 49) - l17,
    nceEst5t5: Math.log(1 + (B - 1) * 25) - l55,
    bound1t5: b15,
    bound1t7: b17,
    bound5t5: b55,
  };
}

async function values(L: AmdimLoss): Promise<Record<keyof AmdimLoss, number>> {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(L)) out[k] = (await t.data())[0];
  return out as Record<keyof AmdimLoss, number>;
}

function expectClose(got: Record<string, number>, want: Record<string, number>, rel = 1e-4): void {
  for (const k of Object.keys(want)) {
    const tol = rel * Math.max(1, Math.abs(want[k]));
    expect(Math.abs(got[k] - want[k]), `${k}: got ${got[k]}, want ${want[k]}`).toBeLessThanOrEqual(tol);
  }
}

describe('amdimLoss against the loop reference', () => {
  // scale 1: scores of order 1; scale 3: raw scores of order 30, so the soft clip at 5 and 20 matters;
  // tclip 1000 with scale 3: effectively unclipped large scores (exp(±30) in the softmax).
  const cases = [
    { B: 3, scale: 1, tclip: 20 },
    { B: 4, scale: 3, tclip: 5 },
    { B: 5, scale: 3, tclip: 20 },
    { B: 4, scale: 3, tclip: 1000 },
  ];
  for (const { B, scale, tclip } of cases) {
    it(`matches for B=${B}, D=8, feature scale ${scale}, tclip ${tclip}`, async () => {
      const rng = new Rng(100 + B * 10 + scale);
      const a = randomFeatures(rng, B, 8, scale);
      const b = randomFeatures(rng, B, 8, scale);
      const src5 = sampleSrc5(rng, B);
      const L = amdimLoss(a.tensors, b.tensors, { tclip, src5 });
      expectClose(await values(L), referenceLoss(a.plain, b.plain, tclip, src5));
      tf.dispose([...Object.values(L), ...Object.values(a.tensors), ...Object.values(b.tensors)]);
    });
  }

  it('honours src5, and draws it from new Rng(seed) when absent', async () => {
    const rng = new Rng(7);
    const a = randomFeatures(rng, 4, 8, 1);
    const b = randomFeatures(rng, 4, 8, 1);
    const s1: [number[], number[]] = [
      [0, 24, 12, 3],
      [5, 5, 7, 20],
    ];
    const s2: [number[], number[]] = [
      [1, 2, 3, 4],
      [24, 23, 22, 21],
    ];
    const v1 = await values(amdimLoss(a.tensors, b.tensors, { src5: s1 }));
    const v2 = await values(amdimLoss(a.tensors, b.tensors, { src5: s2 }));
    expectClose(v1, referenceLoss(a.plain, b.plain, 20, s1));
    expectClose(v2, referenceLoss(a.plain, b.plain, 20, s2));
    expect(Math.abs(v1.loss5t5 - v2.loss5t5)).toBeGreaterThan(1e-3);
    expect(v1.loss1t5).toBe(v2.loss1t5); // only the 5→5 pair uses src5
    const seeded = await values(amdimLoss(a.tensors, b.tensors, { seed: 42 }));
    expectClose(seeded, referenceLoss(a.plain, b.plain, 20, sampleSrc5(new Rng(42), 4)));
    expect(() => amdimLoss(a.tensors, b.tensors, { src5: [[0, 1, 2, 25], s1[1]] })).toThrow(/src5\[0\]\[3\] = 25/);
    expect(() => amdimLoss(a.tensors, b.tensors, { src5: [[0, 1], s1[1]] })).toThrow(/src5\[0\] has 2 entries/);
  });

  it('keeps the NCE estimate under log K and the bound under log B, finite for huge scores', async () => {
    const rng = new Rng(9);
    const a = randomFeatures(rng, 3, 8, 50);
    const L = await values(amdimLoss(a.tensors, a.tensors, { tclip: 1000, seed: 1 }));
    for (const v of Object.values(L)) expect(Number.isFinite(v)).toBe(true);
    expect(L.nceEst1t5).toBeLessThanOrEqual(Math.log(nceCandidates(3, 25)) + 1e-6);
    expect(L.nceEst1t7).toBeLessThanOrEqual(Math.log(nceCandidates(3, 49)) + 1e-6);
    for (const b of [L.bound1t5, L.bound1t7, L.bound5t5]) expect(b).toBeLessThanOrEqual(Math.log(3) + 1e-6);
  });

  it('scores every source against every location of every image', async () => {
    const u = tf.tensor2d([1, 2, 0, -1], [2, 2]);
    const v = tf.tensor3d([1, 0, 0, 1, 1, 1, 2, -1], [2, 2, 2]);
    // s[i][j][l] = <u_i, v_jl>/√2
    const want = [1, 2, 3, 0, 0, -1, -1, 1].map((x) => x / Math.SQRT2);
    const got = await nceScores(u, v).data();
    want.forEach((w, k) => expect(got[k]).toBeCloseTo(w, 6));
  });

  it('does not leak tensors and caches its masks once per shape', () => {
    const a = randomFeatures(new Rng(3), 3, 8, 1);
    tf.dispose(Object.values(amdimLoss(a.tensors, a.tensors)));
    const n = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) tf.dispose(Object.values(amdimLoss(a.tensors, a.tensors, { seed: k })));
    expect(tf.memory().numTensors).toBe(n);
  });
});

/**
 * Features that carry only a label: every location of image i is the one-hot code of its label y_i (scaled
 * so the clipped positive score is ≈ tclip and the others 0). Both views are functions of y, so the true
 * I(view a; view b) is H(Y) = log(labels) for uniform labels; within one batch the bound equals the plug-in
 * entropy of the batch's labels, which can never exceed log(labels).
 */
function labelFeatures(labels: number[], nLabels: number, T: number, scale: number): { u: tf.Tensor2D; v: tf.Tensor3D } {
  const B = labels.length;
  const code = (y: number) => Array.from({ length: nLabels }, (_, d) => (d === y ? scale : 0));
  return {
    u: tf.tensor2d(labels.flatMap(code), [B, nLabels]),
    v: tf.tensor3d(labels.flatMap((y) => Array.from({ length: T }, () => code(y)).flat()), [B, T, nLabels]),
  };
}

function pluginEntropy(labels: number[]): number {
  const counts = new Map<number, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  return [...counts.values()].reduce((h, n) => h - (n / labels.length) * Math.log(n / labels.length), 0);
}

/** The per-location NCE estimate log K − L for one direction, as amdimLoss computes it (float64). */
function referenceEstimate(s: number[][][]): number {
  const B = s.length, T = s[0][0].length;
  let loss = 0;
  for (let i = 0; i < B; i++) {
    let neg = 0;
    for (let j = 0; j < B; j++) if (j !== i) for (let l = 0; l < T; l++) neg += Math.exp(s[i][j][l]);
    for (let l = 0; l < T; l++) loss += Math.log1p(neg / Math.exp(s[i][i][l]));
  }
  return Math.log(nceCandidates(B, T)) - loss / (B * T);
}

describe('infoNceBound: a real lower bound where the NCE estimate is not', () => {
  it('issue 13 construction: 100 uniform labels, B 16, t² 49: bound ≤ log 100 < NCE estimate', async () => {
    const rng = new Rng(13);
    const trueMi = Math.log(100);
    for (let trial = 0; trial < 5; trial++) {
      const labels = Array.from({ length: 16 }, () => rng.int(100));
      const { u, v } = labelFeatures(labels, 100, 49, 20); // raw same-label score 20²/√100 = 40, clipped to 19.3
      const [uArr, vArr] = [(await u.array()) as Vec[], (await v.array()) as Vec[][]];
      const bound = (await infoNceBound(u, v, 20).data())[0];
      const est = referenceEstimate(referenceScores(uArr, vArr, 20));
      expect(bound).toBeLessThanOrEqual(trueMi);
      expect(bound).toBeCloseTo(pluginEntropy(labels), 3);
      expect(est, `trial ${trial}: the per-location estimate should exceed the true MI`).toBeGreaterThan(trueMi);
      tf.dispose([u, v]);
    }
  });

  it('4 labels, log B > true MI: the bound is the batch label entropy (≤ log 4), the estimate exceeds log 4', async () => {
    const rng = new Rng(4);
    const trueMi = Math.log(4);
    let above = 0;
    for (let trial = 0; trial < 8; trial++) {
      const labels = Array.from({ length: 16 }, () => rng.int(4));
      const { u, v } = labelFeatures(labels, 4, 49, 12);
      const L = amdimLoss(
        { r1: tf.reshape(u, [16, 1, 1, 4]) as tf.Tensor4D, r5: tf.reshape(tf.slice(v, [0, 0, 0], [16, 25, 4]), [16, 5, 5, 4]) as tf.Tensor4D, r7: tf.reshape(v, [16, 7, 7, 4]) as tf.Tensor4D },
        { r1: tf.reshape(u, [16, 1, 1, 4]) as tf.Tensor4D, r5: tf.reshape(tf.slice(v, [0, 0, 0], [16, 25, 4]), [16, 5, 5, 4]) as tf.Tensor4D, r7: tf.reshape(v, [16, 7, 7, 4]) as tf.Tensor4D },
        { seed: trial },
      );
      const got = await values(L);
      for (const b of [got.bound1t5, got.bound1t7, got.bound5t5]) {
        expect(b).toBeLessThanOrEqual(trueMi + 1e-9);
        expect(b).toBeCloseTo(pluginEntropy(labels), 3);
      }
      if (got.nceEst1t7 > trueMi) above++;
      tf.dispose(Object.values(L));
      tf.dispose([u, v]);
    }
    expect(above, 'the per-location estimate should read above the true MI in most batches').toBeGreaterThanOrEqual(6);
  });

  for (const { B, T, D, scale, tclip } of [
    { B: 2, T: 1, D: 3, scale: 1, tclip: 20 },
    { B: 5, T: 9, D: 6, scale: 2, tclip: 5 },
    { B: 7, T: 25, D: 8, scale: 4, tclip: 20 },
    { B: 4, T: 49, D: 5, scale: 3, tclip: 1000 },
  ]) {
    it(`matches the float64 loop reference (B ${B}, T ${T}, D ${D}, scale ${scale}, tclip ${tclip})`, async () => {
      const rng = new Rng(B * 1000 + T);
      const u: Vec[] = Array.from({ length: B }, () => Array.from({ length: D }, () => scale * rng.normal()));
      const v: Vec[][] = Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: D }, () => scale * rng.normal())));
      const tu = tf.tensor2d(u.flat(), [B, D]), tv = tf.tensor3d(v.flat(2), [B, T, D]);
      const got = infoNceBound(tu, tv, tclip);
      const want = referenceBound(referenceScores(u, v, tclip));
      expect(Math.abs((await got.data())[0] - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
      expect(want).toBeLessThanOrEqual(Math.log(B) + 1e-12);
      tf.dispose([tu, tv, got]);
    });
  }

  it('rejects mismatched shapes and a batch of one with a clear message', () => {
    const u = tf.zeros([3, 4]) as tf.Tensor2D;
    expect(() => infoNceBound(u, tf.zeros([2, 5, 4]) as tf.Tensor3D, 20)).toThrow(/3 sources for 2 target maps/);
    expect(() => infoNceBound(tf.zeros([1, 4]) as tf.Tensor2D, tf.zeros([1, 5, 4]) as tf.Tensor3D, 20)).toThrow(/at least 2/);
    expect(() => infoNceBound(u, tf.zeros([3, 5, 4]) as tf.Tensor3D, 0)).toThrow(/tclip/);
  });
});
