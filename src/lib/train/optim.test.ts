import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam, createFlatAdam, flattenAdamState, type AdamOptions } from './optim';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch.optim.Adam written out in float64 on plain arrays, with the same linear warm-up. */
function referenceAdam(p0: number[], grad: (p: number[]) => number[], o: AdamOptions, steps: number): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const trace: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const lr = o.lr * (o.warmup > 0 ? Math.min(1, (t + 1) / o.warmup) : 1);
    const g = grad(p).map((gi, k) => gi + o.weightDecay * p[k]);
    for (let k = 0; k < p.length; k++) {
      m[k] = o.beta1 * m[k] + (1 - o.beta1) * g[k];
      v[k] = o.beta2 * v[k] + (1 - o.beta2) * g[k] * g[k];
      const mHat = m[k] / (1 - o.beta1 ** (t + 1));
      const denom = Math.sqrt(v[k]) / Math.sqrt(1 - o.beta2 ** (t + 1)) + o.eps;
      p[k] -= (lr * mHat) / denom;
    }
    trace.push([...p]);
  }
  return trace;
}

// f(p) = ½ Σ a_k (p_k − c_k)², gradient a ⊙ (p − c): different curvatures per coordinate.
const A = [1, 4, 0.25, 9, 2, 0.5];
const C = [0.5, -1, 2, 0.1, -0.3, 1.5];
const P0 = [0, 0.3, -0.2, 1, 0.7, -1];
const gradQ = (p: number[]) => p.map((pk, k) => A[k] * (pk - C[k]));

describe.each([
  ['createAdam', createAdam, 5],
  ['createFlatAdam', createFlatAdam, 3],
] as const)('%s', (_name, createAdam, stateLength) => {
  const opts: AdamOptions = { lr: 0.05, beta1: 0.8, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, warmup: 5 };

  it('follows torch Adam (weight decay, bias correction, warm-up) on a quadratic', async () => {
    // Two variables of different shapes, to check the bookkeeping across a list.
    const x = tf.variable(tf.tensor1d(P0.slice(0, 2)));
    const y = tf.variable(tf.tensor2d(P0.slice(2), [2, 2]));
    const adam = createAdam([x, y], opts);
    const ref = referenceAdam(P0, gradQ, opts, 30);
    const loss = () =>
      tf.tidy(() => {
        const p = tf.concat([x, tf.reshape(y, [4])]);
        return tf.mul(0.5, tf.sum(tf.mul(A, tf.square(tf.sub(p, C))))) as tf.Scalar;
      });
    for (let t = 0; t < 30; t++) {
      const { value, grads } = tf.variableGrads(loss, [x, y]);
      // alternate the two accepted forms of gradients
      adam.apply(t % 2 === 0 ? grads : [grads[x.name], grads[y.name]]);
      tf.dispose([value, ...Object.values(grads)]);
      const got = [...(await x.data()), ...(await y.data())];
      got.forEach((g, k) => expect(Math.abs(g - ref[t][k]), `step ${t} coord ${k}`).toBeLessThan(1e-5));
    }
    expect(adam.step).toBe(30);
    // the state lists m and v (per variable, or flat) and the step count
    const state = adam.state();
    expect(state.length).toBe(stateLength);
    expect((await state[stateLength - 1].data())[0]).toBe(30);
    adam.dispose();
    tf.dispose([x, y]);
  });

  it('ramps the learning rate linearly over the warm-up', () => {
    const x = tf.variable(tf.zeros([1]));
    const adam = createAdam([x], { ...opts, warmup: 4 });
    const lrs: number[] = [];
    for (let t = 0; t < 6; t++) {
      lrs.push(adam.currentLr());
      tf.tidy(() => adam.apply([tf.ones([1])]));
    }
    expect(lrs.map((l) => Math.round((l / opts.lr) * 1e9) / 1e9)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    adam.step = 0;
    expect(adam.currentLr()).toBeCloseTo(opts.lr / 4, 12);
    adam.dispose();
    x.dispose();
  });

  it('leaves variables without a gradient untouched and leaks nothing', async () => {
    const x = tf.variable(tf.tensor1d([1, 2]));
    const y = tf.variable(tf.tensor1d([3]));
    const adam = createAdam([x, y], opts);
    const g = tf.tensor1d([0.1, -0.1]);
    adam.apply([g, null]);
    const n = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) adam.apply({ [x.name]: g });
    expect(tf.memory().numTensors).toBe(n);
    expect(Array.from(await y.data())).toEqual([3]);
    expect(() => adam.apply([g])).toThrow(/1 gradients for 2 variables/);
    expect(() => createAdam([x], { ...opts, beta1: 1 })).toThrow(/beta1/);
    adam.dispose();
    tf.dispose([x, y, g]);
  });
});

describe('flat against per-variable Adam', () => {
  const opts: AdamOptions = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 1e-3, warmup: 3 };

  it('take the same steps on many variables, with gradients missing now and then', async () => {
    const shapes = [[3, 3, 2, 4], [4], [4, 5], [5], [1]];
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const init = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, rand));
    const a = init.map((d, k) => tf.variable(tf.tensor(d, shapes[k])));
    const b = init.map((d, k) => tf.variable(tf.tensor(d, shapes[k])));
    const ref = createAdam(a, opts);
    const flat = createFlatAdam(b, opts);
    for (let t = 0; t < 12; t++) {
      const g = shapes.map((s, k) => (t % 4 === 3 && k === 2 ? null : tf.tensor(Float32Array.from({ length: init[k].length }, rand), s)));
      ref.apply(g);
      flat.apply(g);
      tf.dispose(g.filter((x) => x !== null));
    }
    for (let k = 0; k < shapes.length; k++) {
      const [x, y] = [await a[k].data(), await b[k].data()];
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      expect(worst, `variable ${k}`).toBeLessThan(1e-6);
      expect(Array.from(await b[k].data())).not.toEqual(Array.from(init[k]));
    }
    // the per-variable moments, joined, are the flat moments: what an old checkpoint is converted with
    const saved: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [i, t] of ref.state().entries()) saved[`adam/${i}`] = { shape: t.shape, data: (await t.data()) as Float32Array };
    expect(flattenAdamState(saved, 'adam', shapes.length)).toBe(true);
    expect(Object.keys(saved).sort()).toEqual(['adam/0', 'adam/1', 'adam/2']);
    const fs = flat.state();
    for (let i = 0; i < 3; i++) {
      expect(saved[`adam/${i}`].shape).toEqual(fs[i].shape);
      const want = await fs[i].data();
      saved[`adam/${i}`].data.forEach((x, j) => expect(Math.abs(x - want[j])).toBeLessThan(1e-6));
    }
    expect(flattenAdamState(saved, 'adam', shapes.length)).toBe(false); // already flat
    ref.dispose();
    flat.dispose();
    tf.dispose([...a, ...b]);
  });

  it('uses a fixed number of kernels, not a dozen per variable', async () => {
    const vars = Array.from({ length: 30 }, () => tf.variable(tf.ones([8])));
    const count = async (make: typeof createAdam) => {
      const adam = make(vars, opts);
      const g = vars.map(() => tf.onesLike(vars[0]));
      adam.apply(g);
      const p = await tf.profile(() => adam.apply(g));
      adam.dispose();
      tf.dispose(g);
      return p.kernels.filter((k) => !['Reshape', 'Identity'].includes(k.name)).length;
    };
    const perVar = await count(createAdam);
    const flat = await count(createFlatAdam);
    expect(perVar).toBeGreaterThan(30 * 12);
    expect(flat).toBeLessThan(30 + 25); // 30 slices back into the variables, one chain of elementwise kernels
    tf.dispose(vars);
  });
});
