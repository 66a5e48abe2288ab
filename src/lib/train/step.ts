/**
 * One training step: the AMDIM (or DIM) objective through the encoder, the online linear probe on
 * detached r1, both Adam updates and the BatchNorm running averages. Every intermediate dies in the
 * step's tidy; only the scalar metrics leave, and the caller reads them back asynchronously and disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { Rng } from '../rng';
import { dimObjective } from '../model/dim';
import { createEncoder, type Encoder, type Features, type Impl } from '../model/encoder';
import { amdimLoss, disposeLossCache, sampleSrc5 } from '../model/loss';
import { disposeConvCache } from '../model/fastconv';
import { disposeConstants } from '../model/consts';
import { amdimLossFused } from '../model/lossFused';
import { createProbe, probeAccuracy, type Probe } from '../model/probes';
import { createAdam, createFlatAdam, type Adam } from './optim';

export interface StepOutput {
  loss1t5: tf.Scalar;
  loss1t7: tf.Scalar;
  loss5t5: tf.Scalar;
  reg: tf.Scalar;
  total: tf.Scalar;
  mi1t5: tf.Scalar;
  mi1t7: tf.Scalar;
  mi5t5: tf.Scalar;
  probeLoss: tf.Scalar;
  probeAcc: tf.Scalar;
}

export const STEP_KEYS = ['loss1t5', 'loss1t7', 'loss5t5', 'reg', 'total', 'mi1t5', 'mi1t7', 'mi5t5', 'probeLoss', 'probeAcc'] as const;

export interface Trainer {
  readonly encoder: Encoder;
  readonly probe: Probe;
  readonly optimizer: Adam;
  readonly probeOptimizer: Adam;
  /**
   * xa, xb: (B, S, S, 3) in [0, 1], two views of the same images (DIM uses xa only). labels (B) int, −1 for
   * unknown, or null to skip the probe. src5: the 5→5 source locations; drawn from the seed when absent.
   */
  step(xa: tf.Tensor4D, xb: tf.Tensor4D, labels: tf.Tensor1D | null, src5?: [ArrayLike<number>, ArrayLike<number>]): StepOutput;
  /** r1 in eval mode (running BatchNorm statistics). */
  encode(x: tf.Tensor4D): tf.Tensor2D; // (B, nRkhs)
  dispose(): void;
}

/** Probe optimiser: AMDIM trains its classifiers with a larger rate and no warm-up. */
const PROBE_LR = 2e-4 * 5;

/** Frees what the step caches per backend (NCE masks, im2col indices, constants): on teardown or a backend switch. */
export function disposeStepCaches(): void {
  disposeLossCache();
  disposeConvCache();
  disposeConstants();
}

export function disposeStepOutput(out: StepOutput): void {
  tf.dispose(STEP_KEYS.map((k) => out[k]));
}

function splitFeatures(f: Features): [Features, Features] {
  const [r1a, r1b] = tf.split(f.r1, 2, 0) as tf.Tensor4D[];
  const [r5a, r5b] = tf.split(f.r5, 2, 0) as tf.Tensor4D[];
  const [r7a, r7b] = tf.split(f.r7, 2, 0) as tf.Tensor4D[];
  return [
    { r1: r1a, r5: r5a, r7: r7a },
    { r1: r1b, r5: r5b, r7: r7b },
  ];
}

export interface TrainerOptions {
  /**
   * 'fast' (default): matmul-shaped conv gradients, the NCE scores of all pairs from one matmul and one
   * flat Adam update for all weights.
   * 'baseline': the first, straightforward implementation, kept so the benchmark can compare both.
   * Both compute the same step (to float rounding) from the same weights.
   */
  impl?: Impl;
}

export function createTrainer(cfg: Config, nClasses: number, rng: Rng, opts: TrainerOptions = {}): Trainer {
  const impl = opts.impl ?? 'fast';
  const lossFn = impl === 'fast' ? amdimLossFused : amdimLoss;
  const encoder = createEncoder({ ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize: cfg.imageSize, impl }, rng.fork('encoder'));
  const probe = createProbe(cfg.nRkhs, nClasses, rng.fork('probe'), 'linear');
  const src5Rng = rng.fork('src5');
  const adam = impl === 'fast' ? createFlatAdam : createAdam;
  const optimizer = adam(encoder.trainable, {
    lr: cfg.lr,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.eps,
    weightDecay: cfg.weightDecay,
    warmup: cfg.warmup,
  });
  const probeOptimizer = adam(probe.trainable, { lr: PROBE_LR, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay, warmup: 0 });

  const checkBatch = (xa: tf.Tensor4D, xb: tf.Tensor4D, labels: tf.Tensor1D | null) => {
    const B = xa.shape[0];
    if (B < 2) throw new Error(`train step: needs a batch of at least 2 images, got ${B}`);
    if (xb.shape.join() !== xa.shape.join())
      throw new Error(`train step: the two views differ in shape, (${xa.shape.join(', ')}) vs (${xb.shape.join(', ')})`);
    if (labels && labels.shape[0] !== B) throw new Error(`train step: ${labels.shape[0]} labels for ${B} images`);
  };

  return {
    encoder,
    probe,
    optimizer,
    probeOptimizer,
    step(xa, xb, labels, src5) {
      checkBatch(xa, xb, labels);
      const amdim = cfg.method === 'amdim';
      const src = amdim ? (src5 ?? sampleSrc5(src5Rng, xa.shape[0])) : undefined;
      return tf.tidy(() => {
        // Tensors made inside the tape that outlive it: kept there, disposed or returned below.
        let held: { bnStats: tf.Tensor[]; r1: tf.Tensor2D; parts: Omit<StepOutput, 'total' | 'probeLoss' | 'probeAcc'> } | null = null;
        const { value: total, grads } = tf.variableGrads(() => {
          // Both views in one batch of 2B: one pass, and BatchNorm statistics over both views (as AMDIM).
          const x = amdim ? tf.concat([xa, xb], 0) : xa; // (2B or B, S, S, 3)
          const { features, bnStats } = encoder.forward(x, true);
          const r1 = tf.reshape(features.r1, [x.shape[0], cfg.nRkhs]) as tf.Tensor2D; // (2B or B, D)
          let objective: tf.Scalar;
          let parts: Omit<StepOutput, 'total' | 'probeLoss' | 'probeAcc'>;
          if (amdim) {
            const [fa, fb] = splitFeatures(features);
            const L = lossFn(fa, fb, { tclip: cfg.tclip, src5: src });
            objective = L.total;
            parts = { loss1t5: L.loss1t5, loss1t7: L.loss1t7, loss5t5: L.loss5t5, reg: L.reg, mi1t5: L.mi1t5, mi1t7: L.mi1t7, mi5t5: L.mi5t5 };
          } else {
            const d = dimObjective(features, { mode: cfg.dimMode, estimator: cfg.dimEstimator, tclip: cfg.tclip });
            objective = d.loss;
            const zero = () => tf.scalar(0);
            parts = { loss1t5: zero(), loss1t7: tf.clone(d.loss), loss5t5: zero(), reg: zero(), mi1t5: zero(), mi1t7: d.estimate, mi5t5: zero() };
          }
          tf.keep(r1);
          bnStats.forEach((t) => tf.keep(t));
          Object.values(parts).forEach((t) => tf.keep(t));
          held = { bnStats, r1, parts };
          return objective;
        }, encoder.trainable);
        optimizer.apply(grads);
        const { bnStats, r1, parts } = held!;
        encoder.updateRunningStats(bnStats);
        tf.dispose(bnStats);

        let probeLoss: tf.Scalar;
        let probeAcc: tf.Scalar;
        if (labels) {
          const labs = amdim ? tf.concat([labels, labels], 0) : labels; // (2B or B): r1 of both views
          probeAcc = probeAccuracy(probe.logits(r1), labs); // before the update: the online accuracy
          const { value, grads: pg } = tf.variableGrads(() => probe.loss(r1, labs), probe.trainable);
          probeOptimizer.apply(pg);
          probeLoss = value;
        } else {
          probeLoss = tf.scalar(0);
          probeAcc = tf.scalar(0);
        }
        r1.dispose();
        return { ...parts, total, probeLoss, probeAcc };
      });
    },
    encode(x) {
      return tf.tidy(() => encoder.embed(x, false));
    },
    dispose() {
      optimizer.dispose();
      probeOptimizer.dispose();
      encoder.dispose();
      probe.dispose();
    },
  };
}
