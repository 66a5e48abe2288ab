/**
 * Explicit, named weights and the small functional layers built on them (1×1 conv as matmul, BatchNorm).
 * Weights are drawn on the CPU from the seeded Rng rather than tf's initialisers, which take no seed we
 * control, so the same config seed gives bit-identical weights on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { constant } from './consts';
import type { WeightSpec } from './plan';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Collects variables in creation order; the order is the checkpoint order, so never reorder creation. */
export class ParamBank {
  readonly trainable: tf.Variable[] = [];
  readonly nonTrainable: tf.Variable[] = [];
  readonly named: Record<string, tf.Variable> = {};

  constructor(readonly rng: Rng) {}

  #add(name: string, values: Float32Array, shape: number[], trainable: boolean): tf.Variable {
    if (name in this.named) throw new Error(`ParamBank: duplicate weight name "${name}"`);
    // No tf name: tf's variable registry is global, and two encoders (tests, random baseline) would clash.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable));
    this.named[name] = v;
    (trainable ? this.trainable : this.nonTrainable).push(v);
    return v;
  }

  uniform(name: string, shape: number[], bound: number): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = this.rng.uniform(-bound, bound);
    return this.#add(name, values, shape, true);
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
    return this.#add(name, values, shape, trainable);
  }

  values(name: string, shape: number[], values: Float32Array): tf.Variable {
    return this.#add(name, values, shape, true);
  }

  /** A weight as the encoder plan describes it (plan.ts), drawing its random values in creation order. */
  create(spec: WeightSpec): tf.Variable {
    const { name, shape, init, trainable } = spec;
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (init.kind === 'const') values.fill(init.value);
    else {
      const bound = init.kind === 'uniform' ? init.bound : init.noise;
      for (let i = 0; i < n; i++) values[i] = this.rng.uniform(-bound, bound);
      // identity on the overlapping channels of an (in, out) matrix, as the official head's eye mask
      if (init.kind === 'eyeNoise') for (let c = 0; c < Math.min(shape[0], shape[1]); c++) values[c * shape[1] + c] = 1;
    }
    return this.#add(name, values, shape, trainable);
  }
}

/** Kaiming-uniform bound for a layer followed by ReLU (torch's kaiming_uniform_, a = 0, fan_in). */
export function heBound(fanIn: number): number {
  return Math.sqrt(6 / fanIn);
}

/** 1×1 convolution as a matmul on (B·H·W, C): cheaper than conv2d on WebGPU. */
export function conv1x1(x: tf.Tensor4D, w: tf.Tensor, b?: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const out = w.shape[1] as number;
  let y = tf.matMul(tf.reshape(x, [B * H * W, C]), w as tf.Tensor2D); // (B·H·W, out)
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [B, H, W, out]); // (B, H, W, out)
}

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  runMean: tf.Variable;
  runVar: tf.Variable;
}

export function createBatchNorm(bank: ParamBank, name: string, channels: number): BatchNormParams {
  return {
    gamma: bank.constant(`${name}.gamma`, [channels], 1),
    beta: bank.constant(`${name}.beta`, [channels], 0),
    runMean: bank.constant(`${name}.running_mean`, [channels], 0, false),
    runVar: bank.constant(`${name}.running_var`, [channels], 1, false),
  };
}

/**
 * BatchNorm over (B, H, W). Training normalises with the batch statistics and returns them (mean and the
 * unbiased variance, as torch keeps) so the caller can update the running averages outside the tape.
 * The statistics are kept tensors (tf.keep): the caller owns them and disposes them.
 * fused: the same in training, with its gradient written out (batchNormTrainFused).
 */
export function batchNorm(x: tf.Tensor4D, p: BatchNormParams, training: boolean, stats: tf.Tensor[], fused = false): tf.Tensor4D {
  if (!training) {
    const inv = tf.rsqrt(tf.add(p.runVar, BN_EPS)); // (C)
    return tf.add(tf.mul(tf.sub(x, p.runMean), tf.mul(inv, p.gamma)), p.beta);
  }
  if (fused) return batchNormTrainFused(x, p, stats);
  const [B, H, W] = x.shape;
  const n = B * H * W;
  const { mean, variance } = tf.moments(x, [0, 1, 2]); // (C), (C)
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS))), p.gamma), p.beta);
  stats.push(tf.keep(mean), tf.keep(n > 1 ? tf.mul(variance, n / (n - 1)) : variance));
  return y as tf.Tensor4D;
}

/**
 * Training-mode BatchNorm with the textbook gradient instead of tfjs's autodiff of moments (about 30 small
 * GPU dispatches per layer back, here about 10): with x̂ = (x − μ)·rstd over the n = B·H·W positions,
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·rstd·(dy − dβ/n − x̂·dγ/n).
 */
function batchNormTrainFused(x: tf.Tensor4D, p: BatchNormParams, stats: tf.Tensor[]): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const n = B * H * W;
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, gamma, beta, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, (t: tf.Tensor[]) => void];
    const x2 = tf.reshape(xi, [n, C]); // (n, C)
    const mean = tf.mean(x2, 0); // (C)
    const xc = tf.sub(x2, mean); // (n, C)
    const variance = tf.mean(tf.square(xc), 0); // (C), biased: what the batch is normalised with
    const rstd = tf.rsqrt(tf.add(variance, constant(BN_EPS))); // (C)
    const xhat = tf.mul(xc, rstd); // (n, C)
    // Made inside the op (off the tape, in its tidy): kept, or the op's tidy would free them.
    stats.push(tf.keep(mean), tf.keep(n > 1 ? tf.mul(variance, constant(n / (n - 1))) : variance));
    save([xhat, rstd, gamma]);
    return {
      value: tf.reshape(tf.add(tf.mul(xhat, gamma), beta), [B, H, W, C]) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g] = saved;
        const d2 = tf.reshape(dy, [n, C]); // (n, C)
        const dBeta = tf.sum(d2, 0); // (C)
        const dGamma = tf.sum(tf.mul(d2, xh), 0); // (C)
        // dy − x̂·dγ/n, then centred by its own mean rather than dβ/n (equal, as Σ x̂ = 0): in float32 the
        // explicit centring keeps Σ dx at rounding level, so a bias feeding this layer (gradient exactly 0)
        // gets ~1e-9, not ~1e-5 of noise for Adam to amplify.
        const t = tf.sub(d2, tf.mul(xh, tf.mul(dGamma, constant(1 / n)))); // (n, C)
        const dx = tf.reshape(tf.mul(tf.sub(t, tf.mean(t, 0)), tf.mul(g, rs)), [B, H, W, C]);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, p.gamma, p.beta) as tf.Tensor4D;
}

/**
 * running ← (1 − m)·running + m·batch, for every BatchNorm in `bns` (stats in the order batchNorm pushed them).
 * m is BN_MOMENTUM in training; m = 1/k for the k-th of a series of batches makes the running statistics the
 * plain average of those batches' statistics (torch's momentum=None), as refreshBatchNorm does.
 */
export function updateRunningStats(bns: BatchNormParams[], stats: tf.Tensor[], momentum = BN_MOMENTUM): void {
  if (stats.length !== 2 * bns.length)
    throw new Error(`updateRunningStats: expected ${2 * bns.length} statistics (mean, var per BatchNorm), got ${stats.length}`);
  tf.tidy(() => {
    bns.forEach((p, k) => {
      // The training momentum is a cached constant; refresh momenta (1/k) are one-off scalars freed by the tidy.
      const cached = momentum === BN_MOMENTUM;
      const keepOld = cached ? constant(1 - momentum) : tf.scalar(1 - momentum), takeNew = cached ? constant(momentum) : tf.scalar(momentum);
      p.runMean.assign(tf.add(tf.mul(p.runMean, keepOld), tf.mul(stats[2 * k], takeNew)));
      p.runVar.assign(tf.add(tf.mul(p.runVar, keepOld), tf.mul(stats[2 * k + 1], takeNew)));
    });
  });
}

/** Identity forward, zero gradient back (tfjs has no stop_gradient op). */
const stopGradientOp = tf.customGrad((...args: unknown[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));
export const stopGradient = <T extends tf.Tensor>(x: T): T => stopGradientOp(x) as T;

/**
 * Valid k×k convolution, stride s, filter (k, k, C, O). tfjs's CPU kernel for the filter gradient is a
 * naive indexed loop (about 95% of a CPU training step), so on the CPU backend the filter gradient is
 * computed here with a loop whose inner dimension is contiguous. GPU backends keep tf.conv2d as it is.
 */
export function convKxK(x: tf.Tensor4D, w: tf.Tensor4D, s: number): tf.Tensor4D {
  return tf.getBackend() === 'cpu' ? (conv2dCpuOp(x, w, s) as tf.Tensor4D) : tf.conv2d(x, w, s, 'valid');
}

const conv2dCpuOp = (x: tf.Tensor4D, w: tf.Tensor4D, s: number) =>
  tf.customGrad((...args: unknown[]) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, (t: tf.Tensor[]) => void];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, s, 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = tf.conv2dTranspose(dy as tf.Tensor4D, ws, xs.shape, s, 'valid');
        return [dx, conv2dFilterGrad(xs, dy as tf.Tensor4D, ws.shape, s)];
      },
    };
  })(x, w);

/** dW[a, b, c, o] = Σ_{n, i, j} x[n, s·i + a, s·j + b, c] · dy[n, i, j, o], on the CPU (values read synchronously). */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: [number, number, number, number], s: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const [, Ho, Wo, O] = dy.shape;
  const k = wShape[0];
  const xv = x.dataSync() as Float32Array; // CPU backend: a memory read, no device stall
  const gv = dy.dataSync() as Float32Array;
  const dw = new Float64Array(k * k * C * O);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const g0 = ((n * Ho + i) * Wo + j) * O;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) {
            const x0 = ((n * H + s * i + a) * W + s * j + b) * C;
            const w0 = (a * k + b) * C * O;
            for (let c = 0; c < C; c++) {
              const xc = xv[x0 + c];
              if (xc === 0) continue; // post-ReLU inputs are often exactly zero
              const wc = w0 + c * O;
              for (let o = 0; o < O; o++) dw[wc + o] += xc * gv[g0 + o];
            }
          }
      }
  return tf.tensor4d(Float32Array.from(dw), wShape);
}
