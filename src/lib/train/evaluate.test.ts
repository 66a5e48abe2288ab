import { describe, expect, it } from 'vitest';
import fixture from './fixtures/eval_fixture.json';
import { Rng } from '../rng';
import { KNN_K, L2_GRID, accuracyOf, fitSoftmax, knnPredict, linearEval, pixelFeatures, scoreFeatures, softmaxPredict, standardise, type Split } from './evaluate';

const split = (x: number[][], y?: number[]): Split => ({ x: Float32Array.from(x.flat()), n: x.length, labels: Int32Array.from(y ?? x.map(() => -1)) });

/** Softmax probabilities of a fit, in float64. */
function proba(w: Float64Array, x: number[], dim: number, C: number): number[] {
  const z = Array.from({ length: C }, (_, c) => w[c * (dim + 1) + dim] + x.reduce((s, v, d) => s + v * w[c * (dim + 1) + d], 0));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe('fitSoftmax against scikit-learn (multinomial LogisticRegression, lbfgs)', () => {
  const f = fixture.softmax;
  for (const ref of f.fits) {
    it(`λ ${ref.l2}: converges, and matches sklearn's weights and test probabilities`, () => {
      const fit = fitSoftmax(split(f.xTrain, f.yTrain), f.dim, f.classes, { l2: ref.l2, tol: 1e-8 });
      expect(fit.converged, `gradient ${fit.gradMax} after ${fit.iters} iterations`).toBe(true);
      for (let c = 0; c < f.classes; c++)
        for (let d = 0; d < f.dim; d++) expect(Math.abs(fit.w[c * (f.dim + 1) + d] - ref.coef[c][d]), `W[${c}][${d}]`).toBeLessThan(1e-4);
      // 1e-4: scipy's L-BFGS inside sklearn also stops on a relative change of the objective (ftol), short of our gradient tolerance.
      f.xTest.forEach((x, i) => proba(fit.w, x, f.dim, f.classes).forEach((p, c) => expect(Math.abs(p - ref.proba[i][c])).toBeLessThan(1e-4)));
      expect(Array.from(softmaxPredict(fit, Float32Array.from(f.xTest.flat()), f.xTest.length))).toEqual(ref.pred);
    });
  }

  it('reports non-convergence honestly when the iteration budget is too small', () => {
    const fit = fitSoftmax(split(f.xTrain, f.yTrain), f.dim, f.classes, { l2: 1e-2, maxIter: 2, tol: 1e-8 });
    expect(fit.iters).toBe(2);
    expect(fit.converged).toBe(false);
  });

  it('ignores unlabelled rows (label −1)', () => {
    const y = f.yTrain.map((v, i) => (i % 3 === 0 ? -1 : v));
    const all = fitSoftmax(split(f.xTrain, y), f.dim, f.classes, { l2: 1e-2, tol: 1e-8 });
    const keep = f.xTrain.filter((_, i) => i % 3 !== 0), yk = f.yTrain.filter((_, i) => i % 3 !== 0);
    const some = fitSoftmax(split(keep, yk), f.dim, f.classes, { l2: 1e-2, tol: 1e-8 });
    for (let k = 0; k < all.w.length; k++) expect(all.w[k]).toBeCloseTo(some.w[k], 6);
  });
});

describe('knnPredict (training-split neighbours, cosine) against scikit-learn', () => {
  const f = fixture.knn;
  it(`k ${f.k}: same prediction for every query whose vote is not tied`, () => {
    const { pred, k } = knnPredict(split(f.xTrain, f.yTrain), split(f.xTest), f.dim, f.k);
    expect(k).toBe(f.k);
    let compared = 0;
    f.pred.forEach((p, i) => {
      if (f.tied[i]) return;
      compared++;
      expect(pred[i], `query ${i}`).toBe(p);
    });
    expect(compared).toBeGreaterThan(30);
  });

  it('clamps k to the labelled training rows there are (20 asked, 12 exist)', () => {
    const { pred, k } = knnPredict(split(f.xTrain.slice(0, 12), f.yTrain.slice(0, 12)), split(f.xTest), f.dim, 20);
    expect(k).toBe(12);
    f.pred12.forEach((p, i) => f.tied12[i] || expect(pred[i], `query ${i}`).toBe(p));
  });

  it('never uses a query as its own neighbour: the training split is the only database', () => {
    // Two training points per class far apart; a query identical to a training point of class 0 but with
    // the label of class 1 still gets class 0's vote (it is not in the database).
    const train = split([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], [0, 0, 1, 1]);
    const { pred } = knnPredict(train, split([[1, 0]], [1]), 2, 2);
    expect(pred[0]).toBe(0);
    expect(accuracyOf(pred, Int32Array.from([1]))).toBe(0);
  });
});

describe('scoreFeatures: standardise, kNN k 20, softmax regression with λ by validation', () => {
  const f = fixture.pipeline;
  it('matches the scikit-learn pipeline (StandardScaler, KNeighborsClassifier, LogisticRegression)', () => {
    const train = split(f.xTrain, f.yTrain), test = split(f.xTest, f.yTest);
    const before = train.x.slice();
    const s = scoreFeatures(train, test, f.dim, f.classes, { tol: 1e-8 });
    expect(train.x).toEqual(before); // inputs untouched
    expect(s.k).toBe(KNN_K);
    // kNN: compare on untied queries, then the accuracy over those.
    const tr = { ...train, x: train.x.slice() }, te = { ...test, x: test.x.slice() };
    standardise(te.x, te.n, f.dim, standardise(tr.x, tr.n, f.dim));
    const { pred } = knnPredict(tr, te, f.dim);
    f.knnPred.forEach((p, i) => f.knnTied[i] || expect(pred[i], `query ${i}`).toBe(p));
    expect(s.knn).toBeCloseTo(accuracyOf(pred, test.labels), 12);
    // Linear: the same λ picked on the same fifth, the same held-out accuracy.
    const lin = linearEval(tr, te, f.dim, f.classes, { tol: 1e-8 });
    expect(lin.validation).toEqual(f.validation);
    expect(lin.fit.l2).toBe(f.l2);
    expect(lin.fit.converged).toBe(true);
    expect(s.linear).toBeCloseTo(f.linearAccuracy, 12);
    expect(s.fit.l2).toBe(f.l2);
  });

  it('uses one λ grid for every feature set', () => {
    expect([...L2_GRID]).toEqual([1, 1e-1, 1e-2, 1e-3]);
  });

  it('scores chance on labels independent of the features, and near 1 on separable features', () => {
    const rng = new Rng(5);
    const make = (n: number, signal: number) => {
      const y = Array.from({ length: n }, () => rng.int(4));
      const x = y.map((c) => Array.from({ length: 6 }, (_, d) => (d === c ? signal : 0) + rng.normal()));
      return split(x, y);
    };
    const noise = scoreFeatures(make(200, 0), make(200, 0), 6, 4);
    expect(noise.knn).toBeLessThan(0.4);
    expect(noise.linear).toBeLessThan(0.4);
    const clear = scoreFeatures(make(200, 6), make(200, 6), 6, 4);
    expect(clear.knn).toBeGreaterThan(0.95);
    expect(clear.linear).toBeGreaterThan(0.95);
  });
});

describe('pixelFeatures', () => {
  it('flattens bytes to [0, 1] in (row, column, channel) order and checks the length', () => {
    const b = Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i * 10);
    const p = pixelFeatures(b, 2, 2);
    expect(p.length).toBe(24);
    expect(p[5]).toBeCloseTo(50 / 255, 7);
    expect(() => pixelFeatures(b, 3, 2)).toThrow(/24 bytes for 3 images/);
  });
});
