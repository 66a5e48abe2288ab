/**
 * One training step: the AMDIM (or DIM) objective through the encoder (each view in its own call, so
 * BatchNorm statistics are per view, as the official Model.forward runs them), the online Evaluator (linear
 * and MLP classifiers) on detached r1 of both views, the Adam updates and the BatchNorm running averages. Every intermediate dies in the
 * step's tidy; only the scalar metrics leave, and the caller reads them back asynchronously and disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config, StepImpl } from '../config';
import { rngFor, type Rng } from '../rng';
import { createDimGlobalNet, dimObjective, type DimGlobalNet } from '../model/dim';
import { createPriorDiscriminator, discriminatorLoss, generatorLoss, priorSamples, type PriorDiscriminator } from '../model/prior';
import { createEncoder, type Encoder } from '../model/encoder';
import { amdimLoss, disposeLossCache, sampleSrc5, type AmdimLoss } from '../model/loss';
import { disposeConvCache } from '../model/fastconv';
import { disposeConstants } from '../model/consts';
import { amdimLossFused } from '../model/lossFused';
import { createEvaluator, probeAccuracy, probeLoss as probeLossOf, type Evaluator } from '../model/probes';
import { createAdam, createFlatAdam, officialLrDecay, type Adam } from './optim';

/** The loss terms, estimates and bounds of `AmdimLoss` (DIM fills nceEst1t7 and bound1t7), plus the probes'. */
export interface StepOutput extends AmdimLoss {
  /** The Evaluator's loss: linear + MLP (the official loss_cls). */
  probeLoss: tf.Scalar;
  /** Online accuracy of the linear classifier on this batch (both views), before its update. */
  probeAcc: tf.Scalar;
  /** The same for the MLP classifier (training mode: dropout on, as the official update_train_accuracies). */
  probeMlpAcc: tf.Scalar;
}

export const STEP_KEYS = [
  'loss1t5', 'loss1t7', 'loss5t5', 'reg', 'total', 'nceEst1t5', 'nceEst1t7', 'nceEst5t5', 'bound1t5', 'bound1t7', 'bound5t5',
  'probeLoss', 'probeAcc', 'probeMlpAcc',
] as const;

export interface Trainer {
  readonly encoder: Encoder;
  /** The official Evaluator: linear and MLP classifiers on detached r1. */
  readonly probe: Evaluator;
  /** Deep InfoMax's global MI network (method 'dim' with a global term), trained with the encoder; else null. */
  readonly dimNet: DimGlobalNet | null;
  /** Deep InfoMax prior matching (config.dimPrior > 0): the discriminator and its own Adam; else null. */
  readonly prior: PriorDiscriminator | null;
  readonly priorOptimizer: Adam | null;
  readonly optimizer: Adam;
  readonly probeOptimizer: Adam;
  /**
   * xa, xb: (B, S, S, 3) in [0, 1], two views of the same images (DIM uses xa only). labels (B) int, −1 for
   * unknown, or null to skip the probe. src5: the 5→5 source locations; drawn from the seed when absent.
   */
  step(xa: tf.Tensor4D, xb: tf.Tensor4D, labels: tf.Tensor1D | null, src5?: [ArrayLike<number>, ArrayLike<number>]): StepOutput;
  /** r1 in eval mode (running BatchNorm statistics). */
  encode(x: tf.Tensor4D): tf.Tensor2D; // (B, nRkhs)
  /**
   * The official _warmup_batchnorm: run batches through the encoder (and the MLP classifier) in training
   * mode, without gradients and without touching a weight, so an evaluation in eval mode uses statistics of
   * the current weights rather than averages over older ones. Unlike the official momentum-0.1 updates over
   * 50 batches, the old statistics are dropped and each running statistic becomes the plain average of the
   * batches' statistics (mean; unbiased variance), torch's momentum=None: exact with a few batches.
   */
  refreshBatchNorm(batches: tf.Tensor4D[]): void;
  dispose(): void;
}

/** Frees what the step caches per backend (NCE masks, im2col indices, constants): on teardown or a backend switch. */
export function disposeStepCaches(): void {
  disposeLossCache();
  disposeConvCache();
  disposeConstants();
}

export function disposeStepOutput(out: StepOutput): void {
  tf.dispose(STEP_KEYS.map((k) => out[k]));
}

export interface TrainerOptions {
  /**
   * 'fast' (default): matmul-shaped conv gradients, the NCE scores of all pairs from one matmul and one
   * flat Adam update for all weights.
   * 'baseline': the first, straightforward implementation, kept so the benchmark can compare both.
   * Both compute the same step (to float rounding) from the same weights.
   */
  impl?: StepImpl;
  /** Steps per epoch of the training set, ⌊N/B⌋: needed for config.lrSchedule 'official'. */
  stepsPerEpoch?: number;
}

export function createTrainer(cfg: Config, nClasses: number, rng: Rng, opts: TrainerOptions = {}): Trainer {
  const impl = opts.impl ?? 'fast';
  const lossFn = impl === 'fast' ? amdimLossFused : amdimLoss;
  const encoder = createEncoder(
    { ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize: cfg.imageSize, useBn: cfg.useBn === 1, impl },
    rng.fork('encoder'),
  );
  const probe = createEvaluator(cfg.nRkhs, nClasses, rng.fork('probe'));
  const dimNet = cfg.method === 'dim' && cfg.dimMode !== 'local' ? createDimGlobalNet(cfg.nRkhs, rng.fork('dim-global')) : null;
  const trainVars = [...encoder.trainable, ...(dimNet?.trainable ?? [])];
  const gamma = cfg.method === 'dim' ? cfg.dimPrior : 0;
  const prior = gamma > 0 ? createPriorDiscriminator(cfg.nRkhs, rng.fork('dim-prior')) : null;
  const src5Rng = rng.fork('src5');
  const adam = impl === 'fast' ? createFlatAdam : createAdam;
  let decay = {};
  if (cfg.lrSchedule === 'official') {
    const E = opts.stepsPerEpoch;
    if (!(E !== undefined && Number.isInteger(E) && E >= 1))
      throw new Error(`train step: lrSchedule 'official' needs the steps per epoch of the training set, got ${E}`);
    decay = officialLrDecay(E);
  }
  // The official code trains encoder and classifiers with one Adam (same rate, warm-up and schedule): two
  // instances with the same options are the same update, as Adam is per weight.
  const adamOpts = { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay, warmup: cfg.warmup, ...decay };
  const optimizer = adam(trainVars, adamOpts);
  const probeOptimizer = adam(probe.trainable, adamOpts);
  // cortex_DIM trains each network on its own loss with its own optimiser of the same settings.
  const priorOptimizer = prior ? adam(prior.trainable, adamOpts) : null;

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
    dimNet,
    prior,
    priorOptimizer,
    optimizer,
    probeOptimizer,
    step(xa, xb, labels, src5) {
      checkBatch(xa, xb, labels);
      const amdim = cfg.method === 'amdim';
      const src = amdim ? (src5 ?? sampleSrc5(src5Rng, xa.shape[0])) : undefined;
      return tf.tidy(() => {
        // Tensors made inside the tape that outlive it: kept there, disposed or returned below.
        let held: { bnStats: tf.Tensor[][]; r1: tf.Tensor2D; q: tf.Tensor2D | null; parts: Omit<StepOutput, 'total' | 'probeLoss' | 'probeAcc' | 'probeMlpAcc'> } | null = null;
        let q: tf.Tensor2D | null = null;
        const { value: total, grads } = tf.variableGrads(() => {
          // One encoder call per view (the official Model.forward): BatchNorm statistics are per view.
          const fa = encoder.forward(xa, true);
          const fb = amdim ? encoder.forward(xb, true) : null;
          const views = fb ? [fa, fb] : [fa];
          const r1 = tf.concat(views.map((v) => tf.reshape(v.features.r1, [xa.shape[0], cfg.nRkhs]))) as tf.Tensor2D; // (2B or B, D)
          let objective: tf.Scalar;
          let parts: Omit<StepOutput, 'total' | 'probeLoss' | 'probeAcc' | 'probeMlpAcc'>;
          if (fb) {
            const L = lossFn(fa.features, fb.features, { tclip: cfg.tclip, src5: src });
            objective = L.total;
            parts = {
              loss1t5: L.loss1t5, loss1t7: L.loss1t7, loss5t5: L.loss5t5, reg: L.reg,
              nceEst1t5: L.nceEst1t5, nceEst1t7: L.nceEst1t7, nceEst5t5: L.nceEst5t5, bound1t5: L.bound1t5, bound1t7: L.bound1t7, bound5t5: L.bound5t5,
            };
          } else {
            const d = dimObjective(fa.features, { mode: cfg.dimMode, estimator: cfg.dimEstimator }, dimNet);
            objective = d.loss;
            if (prior) {
              // Prior matching: the encoder is trained to make D take σ(r1) for a uniform sample (D's own weights are not in trainVars).
              q = tf.sigmoid(tf.reshape(fa.features.r1, [xa.shape[0], cfg.nRkhs])) as tf.Tensor2D; // (B, D)
              objective = tf.add(objective, tf.mul(generatorLoss(prior, q), gamma)) as tf.Scalar;
              tf.keep(q);
            }
            const zero = () => tf.scalar(0);
            parts = {
              loss1t5: zero(), loss1t7: tf.clone(d.loss), loss5t5: zero(), reg: zero(),
              nceEst1t5: zero(), nceEst1t7: d.estimate, nceEst5t5: zero(), bound1t5: zero(), bound1t7: d.bound, bound5t5: zero(),
            };
          }
          tf.keep(r1);
          views.forEach((v) => v.bnStats.forEach((t) => tf.keep(t)));
          Object.values(parts).forEach((t) => tf.keep(t));
          held = { bnStats: views.map((v) => v.bnStats), r1, q, parts };
          return objective;
        }, trainVars);
        optimizer.apply(grads);
        const { bnStats, r1, parts } = held!;
        if (prior && priorOptimizer && held!.q) {
          // The discriminator's update on the same codes (detached) against fresh prior samples, seeded by the update count.
          const qd = held!.q;
          const p = tf.tensor2d(priorSamples(rngFor(cfg.seed, `dim-prior-${priorOptimizer.step}`), xa.shape[0], cfg.nRkhs), [xa.shape[0], cfg.nRkhs]);
          const { grads: dg } = tf.variableGrads(() => discriminatorLoss(prior, p, qd), prior.trainable);
          priorOptimizer.apply(dg);
          qd.dispose();
        }
        // Two training-mode calls, two running-average updates, in call order (as torch does).
        for (const stats of bnStats) encoder.updateRunningStats(stats);
        tf.dispose(bnStats.flat());

        let probeLoss: tf.Scalar;
        let probeAcc: tf.Scalar;
        let probeMlpAcc: tf.Scalar;
        if (labels) {
          const labs = amdim ? tf.concat([labels, labels], 0) : labels; // (2B or B): r1 of both views
          probeAcc = probeAccuracy(probe.linear.logits(r1), labs); // before the update: the online accuracy
          const mlpStats: tf.Tensor[] = [];
          let mlpLogits: tf.Tensor2D | null = null;
          const { value, grads: pg } = tf.variableGrads(() => {
            mlpLogits = tf.keep(probe.mlp.logits(r1, true, mlpStats));
            return tf.add(probe.linear.loss(r1, labs), probeLossOf(mlpLogits, labs, nClasses)) as tf.Scalar;
          }, probe.trainable);
          probeMlpAcc = probeAccuracy(mlpLogits!, labs);
          probeOptimizer.apply(pg);
          probe.mlp.updateRunningStats(mlpStats);
          tf.dispose([...mlpStats, mlpLogits!]);
          probeLoss = value;
        } else {
          probeLoss = tf.scalar(0);
          probeAcc = tf.scalar(0);
          probeMlpAcc = tf.scalar(0);
        }
        r1.dispose();
        return { ...parts, total, probeLoss, probeAcc, probeMlpAcc };
      });
    },
    encode(x) {
      return tf.tidy(() => encoder.embed(x, false));
    },
    refreshBatchNorm(batches) {
      batches.forEach((x, k) => {
        const stats = tf.tidy(() => {
          const { features, bnStats } = encoder.forward(x, true);
          const mlpStats: tf.Tensor[] = [];
          probe.mlp.logits(tf.reshape(features.r1, [x.shape[0], cfg.nRkhs]) as tf.Tensor2D, true, mlpStats);
          return { enc: bnStats, mlp: mlpStats };
        });
        // m = 1/(k+1): the first batch replaces the old statistics, later ones make the running average.
        encoder.updateRunningStats(stats.enc, 1 / (k + 1));
        probe.mlp.updateRunningStats(stats.mlp, 1 / (k + 1));
        tf.dispose([...stats.enc, ...stats.mlp]);
      });
    },
    dispose() {
      optimizer.dispose();
      probeOptimizer.dispose();
      encoder.dispose();
      probe.dispose();
      dimNet?.dispose();
      prior?.dispose();
      priorOptimizer?.dispose();
    },
  };
}
