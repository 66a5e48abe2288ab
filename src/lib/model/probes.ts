/**
 * Online evaluation classifiers on detached r1 features: the official AMDIM `Evaluator`, a linear
 * classifier and an MLP (Dropout 0.2 → Linear(D, 1024, no bias) → BatchNorm1d → ReLU → Dropout 0.2 →
 * Linear(1024, C)), both fed the r1 of both views and trained together by one Adam on the sum of their
 * losses. They read the features through a stop-gradient, so training them never moves the encoder.
 * Loss as in AMDIM's loss_xent: CE(10·tanh(z/10)) + 1e-3·mean(z²), the penalty on the unclipped logits.
 * Init as torch's nn.Linear default (the official code does not re-initialise them for online evaluation):
 * weights and biases U(±1/√fan_in); BatchNorm γ 1, β 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { ParamBank, batchNorm, stopGradient, updateRunningStats, type BatchNormParams } from './params';

export type ProbeKind = 'linear' | 'mlp';

export interface Probe {
  readonly kind: ProbeKind;
  readonly nClasses: number;
  readonly trainable: tf.Variable[];
  /**
   * (B, D) features → (B, nClasses) logits. training: dropout on and BatchNorm on the batch statistics,
   * which are pushed onto `stats` (kept tensors, the caller's) when given, else disposed.
   */
  logits(feat: tf.Tensor2D, training?: boolean, stats?: tf.Tensor[]): tf.Tensor2D;
  /** Training-mode mean loss over labels ≥ 0 (others are ignored); 0 when none is valid. */
  loss(feat: tf.Tensor2D, labels: tf.Tensor1D, stats?: tf.Tensor[]): tf.Scalar;
  /** Momentum-0.1 (or `momentum`) update of the MLP's BatchNorm running statistics from `logits(…, true, stats)`. */
  updateRunningStats(stats: tf.Tensor[], momentum?: number): void;
  /** Trainable weights and BatchNorm running statistics, by name. */
  namedWeights(): Record<string, tf.Variable>;
  dispose(): void;
}

const LOGIT_CLIP = 10;
const LOGIT_REG = 1e-3;
export const MLP_HIDDEN = 1024;
export const MLP_DROPOUT = 0.2;

/** Probe loss on logits z (B, C) and int labels (B); labels < 0 are left out of the cross-entropy. */
export function probeLoss(z: tf.Tensor2D, labels: tf.Tensor1D, nClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const valid = tf.cast(tf.greaterEqual(labels, 0), 'float32'); // (B)
    const onehot = tf.oneHot(tf.cast(tf.maximum(labels, 0), 'int32') as tf.Tensor1D, nClasses); // (B, C)
    const logp = tf.logSoftmax(tf.mul(tf.tanh(tf.div(z, LOGIT_CLIP)), LOGIT_CLIP)); // (B, C)
    const ce = tf.neg(tf.sum(tf.mul(onehot, logp), 1)); // (B)
    const xent = tf.div(tf.sum(tf.mul(ce, valid)), tf.maximum(tf.sum(valid), 1));
    return tf.add(xent, tf.mul(tf.mean(tf.square(z)), LOGIT_REG)) as tf.Scalar;
  });
}

/** Fraction of labels ≥ 0 whose argmax logit matches; 0 when none is valid. */
export function probeAccuracy(z: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const valid = tf.cast(tf.greaterEqual(labels, 0), 'float32');
    const hit = tf.cast(tf.equal(tf.argMax(z, 1), tf.cast(labels, 'int32')), 'float32');
    return tf.div(tf.sum(tf.mul(hit, valid)), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/**
 * The official MLPClassifier: kind 'linear' is Dropout(0) → Linear(D, C); 'mlp' as in the file comment, with
 * `hidden` units and dropout p. rng draws the weights and then, one seed per training forward, the dropout masks.
 */
export function createProbe(dim: number, nClasses: number, rng: Rng, kind: ProbeKind = 'linear', hidden = MLP_HIDDEN, p = MLP_DROPOUT): Probe {
  if (!(Number.isInteger(nClasses) && nClasses >= 2)) throw new Error(`probe: needs at least 2 classes, got ${nClasses}`);
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`probe: feature size must be a positive integer, got ${dim}`);
  if (!(Number.isInteger(hidden) && hidden >= 1)) throw new Error(`probe: hidden size must be a positive integer, got ${hidden}`);
  if (!(p >= 0 && p < 1)) throw new Error(`probe: dropout must be in [0, 1), got ${p}`);
  const bank = new ParamBank(rng);
  const U = (fanIn: number) => ({ kind: 'uniform' as const, bound: 1 / Math.sqrt(fanIn) });
  const make = (name: string, shape: number[], init: Parameters<ParamBank['create']>[0]['init'], trainable = true) => bank.create({ name, shape, init, trainable });
  let fc1: tf.Variable | null = null, bn: BatchNormParams | null = null, fc2: tf.Variable, b2: tf.Variable;
  if (kind === 'linear') {
    fc2 = make('fc.weight', [dim, nClasses], U(dim));
    b2 = make('fc.bias', [nClasses], U(dim));
  } else {
    fc1 = make('fc1.weight', [dim, hidden], U(dim));
    bn = {
      gamma: make('bn.gamma', [hidden], { kind: 'const', value: 1 }),
      beta: make('bn.beta', [hidden], { kind: 'const', value: 0 }),
      runMean: make('bn.running_mean', [hidden], { kind: 'const', value: 0 }, false),
      runVar: make('bn.running_var', [hidden], { kind: 'const', value: 1 }, false),
    };
    fc2 = make('fc2.weight', [hidden, nClasses], U(hidden));
    b2 = make('fc2.bias', [nClasses], U(hidden));
  }
  const dropRng = rng.fork('dropout');
  /** Inverted dropout with a mask drawn from the seeded stream. */
  const dropout = (h: tf.Tensor2D): tf.Tensor2D => {
    const seed = dropRng.int(2 ** 31);
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', seed), p), 'float32');
    return tf.mul(h, tf.mul(keep, 1 / (1 - p))) as tf.Tensor2D;
  };

  const logits = (feat: tf.Tensor2D, training = false, stats?: tf.Tensor[]): tf.Tensor2D => {
    const own: tf.Tensor[] = [];
    const out = tf.tidy(() => {
      let h: tf.Tensor2D = stopGradient(feat); // (B, D)
      if (training && p > 0 && kind === 'mlp') h = dropout(h);
      if (fc1 && bn) {
        const B = h.shape[0];
        const a = tf.reshape(tf.matMul(h, fc1 as tf.Tensor2D), [B, 1, 1, hidden]) as tf.Tensor4D; // (B, 1, 1, H)
        h = tf.relu(tf.reshape(batchNorm(a, bn, training, stats ?? own), [B, hidden])) as tf.Tensor2D; // (B, H)
        if (training && p > 0) h = dropout(h);
      }
      return tf.add(tf.matMul(h, fc2 as tf.Tensor2D), b2) as tf.Tensor2D; // (B, nClasses)
    });
    tf.dispose(own);
    return out;
  };

  return {
    kind,
    nClasses,
    trainable: bank.trainable,
    logits,
    loss: (feat, labels, stats) => tf.tidy(() => probeLoss(logits(feat, true, stats), labels, nClasses)),
    updateRunningStats: (stats, momentum) => updateRunningStats(bn ? [bn] : [], stats, momentum),
    namedWeights: () => ({ ...bank.named }),
    dispose: () => tf.dispose([...bank.trainable, ...bank.nonTrainable]),
  };
}

/** The official Evaluator: a linear and an MLP classifier side by side, trained on the same features. */
export interface Evaluator {
  readonly linear: Probe;
  readonly mlp: Probe;
  /** Both classifiers' weights, linear first (one Adam updates them all). */
  readonly trainable: tf.Variable[];
  /** lin.… and mlp.… weights and statistics, by name (the checkpoint names). */
  namedWeights(): Record<string, tf.Variable>;
  dispose(): void;
}

export function createEvaluator(dim: number, nClasses: number, rng: Rng): Evaluator {
  const mlp = createProbe(dim, nClasses, rng.fork('mlp'), 'mlp');
  const linear = createProbe(dim, nClasses, rng.fork('linear'), 'linear');
  const prefix = (pre: string, r: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [`${pre}.${k}`, v]));
  return {
    linear,
    mlp,
    trainable: [...linear.trainable, ...mlp.trainable],
    namedWeights: () => ({ ...prefix('lin', linear.namedWeights()), ...prefix('mlp', mlp.namedWeights()) }),
    dispose() {
      linear.dispose();
      mlp.dispose();
    },
  };
}
