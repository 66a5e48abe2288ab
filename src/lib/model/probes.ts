/**
 * Online evaluation classifiers on detached r1 features (AMDIM's linear and MLP probes). They read the
 * features through a stop-gradient, so training them never moves the encoder. Loss as in AMDIM:
 * CE(10·tanh(z/10)) + 1e-3·mean(z²), the penalty on the unclipped logits.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { ParamBank, heBound, stopGradient } from './params';

export type ProbeKind = 'linear' | 'mlp';

export interface Probe {
  readonly kind: ProbeKind;
  readonly nClasses: number;
  readonly trainable: tf.Variable[];
  /** (B, D) features → (B, nClasses) logits. */
  logits(feat: tf.Tensor2D): tf.Tensor2D;
  /** Mean loss over labels ≥ 0 (others are ignored); 0 when none is valid. */
  loss(feat: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar;
  namedWeights(): Record<string, tf.Variable>;
  dispose(): void;
}

const LOGIT_CLIP = 10;
const LOGIT_REG = 1e-3;

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

export function createProbe(dim: number, nClasses: number, rng: Rng, kind: ProbeKind = 'linear', hidden = 256): Probe {
  if (!(Number.isInteger(nClasses) && nClasses >= 2)) throw new Error(`probe: needs at least 2 classes, got ${nClasses}`);
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`probe: feature size must be a positive integer, got ${dim}`);
  const bank = new ParamBank(rng);
  // torch.nn.Linear's default range, ±1/√fan_in, for layers not followed by ReLU.
  const layers =
    kind === 'linear'
      ? [{ w: bank.uniform('fc.weight', [dim, nClasses], 1 / Math.sqrt(dim)), b: bank.uniform('fc.bias', [nClasses], 1 / Math.sqrt(dim)) }]
      : [
          { w: bank.uniform('fc1.weight', [dim, hidden], heBound(dim)), b: bank.constant('fc1.bias', [hidden], 0) },
          { w: bank.uniform('fc2.weight', [hidden, nClasses], 1 / Math.sqrt(hidden)), b: bank.uniform('fc2.bias', [nClasses], 1 / Math.sqrt(hidden)) },
        ];

  const logits = (feat: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      let h: tf.Tensor2D = stopGradient(feat); // (B, D)
      layers.forEach(({ w, b }, k) => {
        h = tf.add(tf.matMul(h, w as tf.Tensor2D), b); // (B, out)
        if (k < layers.length - 1) h = tf.relu(h);
      });
      return h; // (B, nClasses)
    });

  return {
    kind,
    nClasses,
    trainable: bank.trainable,
    logits,
    loss: (feat, labels) => tf.tidy(() => probeLoss(logits(feat), labels, nClasses)),
    namedWeights: () => ({ ...bank.named }),
    dispose: () => tf.dispose(bank.trainable),
  };
}
