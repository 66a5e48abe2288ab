/**
 * Deep InfoMax's prior matching (Hjelm et al. 2019, §3.3; cortex_DIM's PriorMatching and Discriminator): an
 * adversarial term that pushes the distribution of the global code towards a prior. A discriminator D tells
 * samples of the prior (uniform on [0, 1]^D) from the encoder's outputs squashed by a sigmoid, σ(r1); D
 * minimises the GAN loss (binary cross-entropy) plus cortex_DIM's contrastive gradient penalty (weight 1:
 * the mean squared norm of ∇ₓD on real and on fake inputs, halved), and the encoder minimises γ times the
 * non-saturating generator loss, mean softplus(−D(σ(r1))). D is an MLP D → 1000 → 200 → 1 with ReLU (the
 * reference's discriminator layers), weights and biases with torch's default init U(±1/√fan_in).
 * Hand-written (no tfjs GAN library); ∇ₓD is written out for the two-hidden-layer ReLU net (the ReLU masks
 * are constant almost everywhere), so the penalty needs no second-order autodiff; a test checks it against
 * tf.grad.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { ParamBank } from './params';

/** The reference's hidden layers. */
export const PRIOR_HIDDEN = [1000, 200] as const;
/** cortex_DIM's gradient penalty amount. */
export const PRIOR_GP = 1;

export interface PriorDiscriminator {
  readonly trainable: tf.Variable[];
  namedWeights(): Record<string, tf.Variable>;
  /** (B, D) → (B) logits: > 0 says "a prior sample". */
  logits(z: tf.Tensor2D): tf.Tensor1D;
  /** (B, D) → (B) squared norms of ∇_z D(z), per sample. */
  inputGradSq(z: tf.Tensor2D): tf.Tensor1D;
  dispose(): void;
}

export function createPriorDiscriminator(D: number, rng: Rng, hidden: readonly number[] = PRIOR_HIDDEN): PriorDiscriminator {
  if (hidden.length !== 2) throw new Error(`prior: the discriminator has two hidden layers, got ${hidden.length}`);
  const bank = new ParamBank(rng);
  const [H1, H2] = hidden;
  const lin = (name: string, nIn: number, nOut: number) => {
    const init = { kind: 'uniform' as const, bound: 1 / Math.sqrt(nIn) };
    return {
      w: bank.create({ name: `prior.${name}.weight`, shape: [nIn, nOut], init, trainable: true }) as tf.Variable<tf.Rank.R2>,
      b: bank.create({ name: `prior.${name}.bias`, shape: [nOut], init, trainable: true }) as tf.Variable<tf.Rank.R1>,
    };
  };
  const l1 = lin('fc1', D, H1), l2 = lin('fc2', H1, H2), l3 = lin('fc3', H2, 1);
  /** Pre-activations of both hidden layers and the logits. */
  const forward = (z: tf.Tensor2D) => {
    if (z.rank !== 2 || z.shape[1] !== D) throw new Error(`prior: expected (B, ${D}) codes, got (${z.shape.join(', ')})`);
    const a1 = tf.add(tf.matMul(z, l1.w), l1.b) as tf.Tensor2D; // (B, H1)
    const a2 = tf.add(tf.matMul(tf.relu(a1), l2.w), l2.b) as tf.Tensor2D; // (B, H2)
    const out = tf.reshape(tf.add(tf.matMul(tf.relu(a2), l3.w), l3.b), [z.shape[0]]) as tf.Tensor1D; // (B)
    return { a1, a2, out };
  };
  return {
    trainable: bank.trainable,
    namedWeights: () => ({ ...bank.named }),
    logits: (z) => tf.tidy(() => forward(z).out),
    inputGradSq: (z) =>
      tf.tidy(() => {
        const { a1, a2 } = forward(z);
        // ∂D/∂z = (((1[a2 > 0] ⊙ w3ᵀ) W2ᵀ) ⊙ 1[a1 > 0]) W1ᵀ; tf.step has a zero gradient, so the masks are constants.
        const g2 = tf.mul(tf.step(a2), tf.reshape(l3.w, [1, H2])); // (B, H2)
        const g1 = tf.mul(tf.matMul(g2, l2.w, false, true), tf.step(a1)); // (B, H1)
        const gz = tf.matMul(g1, l1.w, false, true); // (B, D)
        return tf.sum(tf.square(gz), 1) as tf.Tensor1D;
      }),
    dispose: () => tf.dispose(bank.trainable),
  };
}

const softplus = (x: tf.Tensor) => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));

/**
 * What D minimises: mean softplus(−D(p)) + mean softplus(D(q)) (the GAN measure's −(E_P − E_Q)), plus
 * gp·½(mean ‖∇D(p)‖² + mean ‖∇D(q)‖²). p: prior samples (B, D); q: the encoder's squashed codes, detached.
 */
export function discriminatorLoss(d: PriorDiscriminator, p: tf.Tensor2D, q: tf.Tensor2D, gp = PRIOR_GP): tf.Scalar {
  return tf.tidy(() => {
    const gan = tf.add(tf.mean(softplus(tf.neg(d.logits(p)))), tf.mean(softplus(d.logits(q))));
    if (gp === 0) return gan as tf.Scalar;
    const pen = tf.mul(tf.add(tf.mean(d.inputGradSq(p)), tf.mean(d.inputGradSq(q))), 0.5 * gp);
    return tf.add(gan, pen) as tf.Scalar;
  });
}

/** What the encoder minimises, before the weight γ: the non-saturating generator loss mean softplus(−D(q)). */
export function generatorLoss(d: PriorDiscriminator, q: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(softplus(tf.neg(d.logits(q)))) as tf.Scalar);
}

/** B samples of the prior, uniform on [0, 1)^D, from `rng`: (B·D) row-major. */
export function priorSamples(rng: Rng, B: number, D: number): Float32Array {
  const out = new Float32Array(B * D);
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return out;
}

/** Kolmogorov–Smirnov distance of all values in `x` (pooled over dimensions) from uniform [0, 1]. */
export function ksToUniform(x: ArrayLike<number>): number {
  const v = Float64Array.from(x).sort();
  const n = v.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const u = Math.min(1, Math.max(0, v[i]));
    d = Math.max(d, (i + 1) / n - u, u - i / n);
  }
  return d;
}
