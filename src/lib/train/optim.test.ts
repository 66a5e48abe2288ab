import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam, type AdamOptions } from './optim';

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

describe('createAdam', () => {
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
    // the state lists m and v for each variable and the step count
    const state = adam.state();
    expect(state.length).toBe(5);
    expect((await state[4].data())[0]).toBe(30);
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
