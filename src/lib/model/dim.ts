/**
 * Deep InfoMax on one view (SCIENCE.md §3). The global code E(x) is r1; the local features C(x) are the
 * 7×7 map through its head. Local DIM scores E(x_i) against every location of every image; global DIM
 * scores E(x_i) against each image's location-averaged map. Negatives are the other images, as in AMDIM.
 * Prior matching (adversarial) is left out.
 */
import * as tf from '@tensorflow/tfjs';
import type { DimEstimator, DimMode } from '../config';
import type { Features } from './encoder';
import { nceCandidates, nceMasks, nceScores, softClip, splitScores } from './loss';

export interface DimOptions {
  mode: DimMode;
  estimator: DimEstimator;
  /** Soft clip of the scores; keeps DV's exponentials finite. */
  tclip: number;
}

export interface DimResult {
  /** What training minimises: −(α·global + β·local). */
  loss: tf.Scalar;
  /** The estimate of the mode's main term: local for 'local' and 'both', global for 'global'. */
  estimate: tf.Scalar;
}

/** DIM(L): α 0, β 1; DIM(G): α 1, β 0; both: α ½, β 1 (prior matching γ not implemented). */
export const DIM_WEIGHTS: Readonly<Record<DimMode, { alpha: number; beta: number }>> = {
  local: { alpha: 0, beta: 1 },
  global: { alpha: 1, beta: 0 },
  both: { alpha: 0.5, beta: 1 },
};

const softplus = (x: tf.Tensor) => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));

/**
 * One estimator on scores sc[i, j, l] (B, B, T); positives are j = i, negatives j ≠ i (all locations).
 * nce: log K − mean softplus(lse_neg − pos) (nats, ≤ log K); jsd: DIM's JSD objective, which is the f-GAN
 * JS bound plus log 4 (monotone in MI, not nats); dv: mean pos − log mean_{neg} e^s (nats, biased up).
 */
export function dimEstimate(sc: tf.Tensor3D, estimator: DimEstimator): tf.Scalar {
  return tf.tidy(() => {
    const [B, , T] = sc.shape;
    const nNeg = B * (B - 1) * T;
    const { eye, selfBias } = nceMasks(B, T);
    switch (estimator) {
      case 'nce': {
        const { pos, negLse } = splitScores(sc);
        return tf.sub(Math.log(nceCandidates(B, T)), tf.mean(softplus(tf.sub(negLse, pos)))) as tf.Scalar;
      }
      case 'jsd': {
        const ePos = tf.mean(tf.neg(softplus(tf.neg(tf.sum(tf.mul(sc, eye), 1))))); // mean over (i, l)
        const eNeg = tf.div(tf.sum(tf.mul(softplus(sc), tf.sub(1, eye))), nNeg);
        return tf.add(tf.sub(ePos, eNeg), Math.log(4)) as tf.Scalar;
      }
      case 'dv': {
        const ePos = tf.mean(tf.sum(tf.mul(sc, eye), 1));
        const lse = tf.logSumExp(tf.add(tf.reshape(sc, [B, B * T]), selfBias)); // over every negative
        return tf.sub(ePos, tf.sub(lse, Math.log(nNeg))) as tf.Scalar;
      }
    }
  });
}

export function dimObjective(f: Features, opts: DimOptions): DimResult {
  const [B, , , D] = f.r1.shape;
  if (B < 2) throw new Error(`dim: needs a batch of at least 2 images (negatives come from other images), got ${B}`);
  const { alpha, beta } = DIM_WEIGHTS[opts.mode];
  return tf.tidy(() => {
    const u = tf.reshape(f.r1, [B, D]) as tf.Tensor2D; // (B, D)
    const T = f.r7.shape[1] * f.r7.shape[2];
    const local = tf.reshape(f.r7, [B, T, D]) as tf.Tensor3D; // (B, 49, D)
    const terms: tf.Scalar[] = [];
    let localEst: tf.Scalar | null = null;
    let globalEst: tf.Scalar | null = null;
    if (beta > 0) {
      localEst = dimEstimate(softClip(nceScores(u, local), opts.tclip), opts.estimator);
      terms.push(tf.mul(localEst, -beta) as tf.Scalar);
    }
    if (alpha > 0) {
      const pooled = tf.mean(local, 1, true) as tf.Tensor3D; // (B, 1, D)
      globalEst = dimEstimate(softClip(nceScores(u, pooled), opts.tclip), opts.estimator);
      terms.push(tf.mul(globalEst, -alpha) as tf.Scalar);
    }
    const loss = (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
    return { loss, estimate: (localEst ?? globalEst) as tf.Scalar };
  });
}
