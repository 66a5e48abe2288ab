/**
 * Critics for the MI bounds lab: small ReLU MLPs that score (x, y) pairs. Separable critics embed each side
 * and take a dot product (one K×K matmul, as AMDIM's scores); concatenated critics run one MLP on every
 * pair [x_j, y_i], which is more expressive and K times more work. Weights come from a seeded Rng, so a
 * critic is the same on every backend and every run with the same seed.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';

export type CriticKind = 'separable' | 'concat';

export interface CriticSpec {
  kind: CriticKind;
  /** Dimension of x and of y. */
  dim: number;
  /** Width of the hidden layers. */
  hidden: number;
  /** Number of hidden layers in each MLP. */
  layers: number;
  /** Output size of each side's embedding (separable only). */
  embed: number;
}

interface Dense {
  w: tf.Variable; // (in, out)
  b: tf.Variable; // (out,)
}

/** Glorot-uniform weights drawn from `rng`, zero biases. */
function dense(rng: Rng, nIn: number, nOut: number): Dense {
  const lim = Math.sqrt(6 / (nIn + nOut));
  const w = new Float32Array(nIn * nOut);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-lim, lim);
  return {
    w: tf.variable(tf.tensor2d(w, [nIn, nOut]), true),
    b: tf.variable(tf.zeros([nOut]), true),
  };
}

// Unnamed variables: tfjs names must be unique per engine, and several labs may coexist.
function mlp(rng: Rng, sizes: number[]): Dense[] {
  return sizes.slice(1).map((n, i) => dense(rng, sizes[i], n));
}

function forward(net: Dense[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  net.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D; // (N, out)
    if (i < net.length - 1) h = tf.relu(h);
  });
  return h;
}

export class Critic {
  readonly spec: CriticSpec;
  readonly vars: tf.Variable[];
  #g: Dense[];
  #h: Dense[];

  constructor(spec: CriticSpec, rng: Rng) {
    checkSpec(spec);
    this.spec = spec;
    const hidden = new Array<number>(spec.layers).fill(spec.hidden);
    if (spec.kind === 'separable') {
      this.#g = mlp(rng, [spec.dim, ...hidden, spec.embed]);
      this.#h = mlp(rng, [spec.dim, ...hidden, spec.embed]);
    } else {
      this.#g = mlp(rng, [2 * spec.dim, ...hidden, 1]);
      this.#h = [];
    }
    this.vars = [...this.#g, ...this.#h].flatMap((l) => [l.w, l.b]);
  }

  /** x, y: (K, d) → S: (K, K) with S[i][j] = f(x_j, y_i); positives on the diagonal. */
  scores(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [K, d] = x.shape;
      if (this.spec.kind === 'separable') {
        const gx = forward(this.#g, x); // (K, E)
        const hy = forward(this.#h, y); // (K, E)
        return tf.matMul(hy, gx, false, true); // (K, K)
      }
      const xs = tf.tile(tf.reshape(x, [1, K, d]), [K, 1, 1]); // (K, K, d): [i][j] = x_j
      const ys = tf.tile(tf.reshape(y, [K, 1, d]), [1, K, 1]); // (K, K, d): [i][j] = y_i
      const pairs = tf.reshape(tf.concat([xs, ys], 2), [K * K, 2 * d]) as tf.Tensor2D; // (K², 2d)
      return tf.reshape(forward(this.#g, pairs), [K, K]); // (K, K)
    });
  }

  /** f(x, y) for one pair, on plain arrays: the slow reference the tests compare `scores` with. */
  scoreOne(x: readonly number[], y: readonly number[]): number {
    const run = (net: Dense[], v: number[]): number[] => {
      let h = v;
      net.forEach((l, li) => {
        const w = l.w.arraySync() as number[][];
        const b = l.b.arraySync() as number[];
        h = b.map((bk, k) => h.reduce((s, hv, i) => s + hv * w[i][k], bk));
        if (li < net.length - 1) h = h.map((z) => Math.max(0, z));
      });
      return h;
    };
    if (this.spec.kind === 'concat') return run(this.#g, [...x, ...y])[0];
    const gx = run(this.#g, [...x]);
    const hy = run(this.#h, [...y]);
    return gx.reduce((s, v, k) => s + v * hy[k], 0);
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}

function checkSpec(s: CriticSpec): void {
  if (s.kind !== 'separable' && s.kind !== 'concat') throw new RangeError(`critic kind must be 'separable' or 'concat', got ${String(s.kind)}`);
  for (const k of ['dim', 'hidden', 'layers', 'embed'] as const)
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new RangeError(`critic ${k} must be an integer ≥ 1, got ${s[k]}`);
}
