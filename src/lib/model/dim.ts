/**
 * Deep InfoMax on one view (SCIENCE.md §3; cortex_DIM). The global code E(x) is r1; the local features C(x)
 * are the 7×7 map through its head. Local DIM scores E(x_i) against every location of every image; global
 * DIM scores E(x_i) against the whole 7×7 map of each image encoded by a small convnet (cortex_DIM's GlobalDIM
 * encodes the local map with a copy of the encoder's remaining layers ending in a linear layer: here
 * 3×3 conv → 5×5, 3×3 conv → 3×3, linear, the shape of the AMDIM encoder's own 7 → 5 → 3 → 1 stages).
 * Scores are plain dot products, as in cortex_DIM (no 1/√D, no tanh clip). Negatives are the other images.
 * Prior matching (adversarial) is left out.
 */
import * as tf from '@tensorflow/tfjs';
import type { DimEstimator, DimMode } from '../config';
import type { Rng } from '../rng';
import type { Features } from './encoder';
import { imageBound, nceCandidates, nceMasks, splitScores } from './loss';
import { ParamBank, convKxK } from './params';

export interface DimOptions {
  mode: DimMode;
  estimator: DimEstimator;
}

/** cortex_DIM's global MI network, sized for the 7×7 map: (B, 7, 7, D) → (B, D). */
export interface DimGlobalNet {
  readonly trainable: tf.Variable[];
  namedWeights(): Record<string, tf.Variable>;
  apply(map: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** Weights and biases with torch's default init, U(±1/√fan_in). */
export function createDimGlobalNet(D: number, rng: Rng): DimGlobalNet {
  const bank = new ParamBank(rng);
  const U = (fanIn: number) => ({ kind: 'uniform' as const, bound: 1 / Math.sqrt(fanIn) });
  const w = (name: string, shape: number[], fanIn: number) => bank.create({ name, shape, init: U(fanIn), trainable: true });
  const c1 = w('global.conv1.weight', [3, 3, D, D], 9 * D);
  const b1 = w('global.conv1.bias', [D], 9 * D);
  const c2 = w('global.conv2.weight', [3, 3, D, D], 9 * D);
  const b2 = w('global.conv2.bias', [D], 9 * D);
  const fc = w('global.fc.weight', [9 * D, D], 9 * D);
  const fb = w('global.fc.bias', [D], 9 * D);
  return {
    trainable: bank.trainable,
    namedWeights: () => ({ ...bank.named }),
    apply(map) {
      const [B, H, W] = map.shape;
      if (H !== 7 || W !== 7) throw new Error(`dim: the global network takes a 7×7 map, got ${H}×${W}`);
      let h = tf.relu(tf.add(convKxK(map, c1 as tf.Tensor4D, 1), b1)) as tf.Tensor4D; // (B, 5, 5, D)
      h = tf.relu(tf.add(convKxK(h, c2 as tf.Tensor4D, 1), b2)) as tf.Tensor4D; // (B, 3, 3, D)
      return tf.add(tf.matMul(tf.reshape(h, [B, 9 * D]), fc as tf.Tensor2D), fb) as tf.Tensor2D; // (B, D)
    },
    dispose: () => tf.dispose(bank.trainable),
  };
}

/** s[i, j, l] = ⟨u_i, v_jl⟩: u (B, D), v (B, T, D) → (B, B, T), no scaling (cortex_DIM's scores). */
export function dotScores(u: tf.Tensor2D, v: tf.Tensor3D): tf.Tensor3D {
  const [B, T, D] = v.shape;
  return tf.reshape(tf.matMul(u, tf.reshape(v, [B * T, D]), false, true), [u.shape[0], B, T]); // (B, B, T)
}

export interface DimResult {
  /** What training minimises: −(α·global + β·local). */
  loss: tf.Scalar;
  /** The estimate of the mode's main term: local for 'local' and 'both', global for 'global'. */
  estimate: tf.Scalar;
  /**
   * Image-level InfoNCE lower bound (nats, ≤ log B) on I(E(x); C(x)) for local, I(E(x); pooled C(x)) for
   * global, from the same clipped scores (loss.ts imageBound). The 'nce' estimate per location is not a bound.
   */
  bound: tf.Scalar;
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

/** globalNet: needed when the mode has a global term (α > 0). */
export function dimObjective(f: Features, opts: DimOptions, globalNet: DimGlobalNet | null = null): DimResult {
  const [B, , , D] = f.r1.shape;
  if (B < 2) throw new Error(`dim: needs a batch of at least 2 images (negatives come from other images), got ${B}`);
  const { alpha, beta } = DIM_WEIGHTS[opts.mode];
  if (alpha > 0 && !globalNet) throw new Error(`dim: mode '${opts.mode}' has a global term and needs the global network`);
  return tf.tidy(() => {
    const u = tf.reshape(f.r1, [B, D]) as tf.Tensor2D; // (B, D)
    const T = f.r7.shape[1] * f.r7.shape[2];
    const terms: tf.Scalar[] = [];
    let localEst: tf.Scalar | null = null;
    let globalEst: tf.Scalar | null = null;
    let bound: tf.Scalar | null = null;
    if (beta > 0) {
      const local = tf.reshape(f.r7, [B, T, D]) as tf.Tensor3D; // (B, 49, D)
      const sc = dotScores(u, local); // (B, B, 49)
      localEst = dimEstimate(sc, opts.estimator);
      bound = imageBound(sc);
      terms.push(tf.mul(localEst, -beta) as tf.Scalar);
    }
    if (alpha > 0 && globalNet) {
      const g = tf.reshape(globalNet.apply(f.r7), [B, 1, D]) as tf.Tensor3D; // (B, 1, D)
      const sc = dotScores(u, g); // (B, B, 1)
      globalEst = dimEstimate(sc, opts.estimator);
      bound ??= imageBound(sc);
      terms.push(tf.mul(globalEst, -alpha) as tf.Scalar);
    }
    const loss = (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
    return { loss, estimate: (localEst ?? globalEst) as tf.Scalar, bound: bound as tf.Scalar };
  });
}
