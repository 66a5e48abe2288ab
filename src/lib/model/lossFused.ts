/**
 * amdimLoss (loss.ts) with the scores of all six directed pairs from ONE batched matmul: per direction the
 * sources [r1; r5 at the sampled location] (2B, D) meet the targets [r5 map, r7 map] (B·(T5 + T7), D) of
 * the other view. The r5-source × r7-target block is computed and dropped (a third of the matmul, cheap
 * next to the encoder); in exchange the step launches 2 matmul kernels (1 forward + its 2 gradient
 * matmuls) instead of 6 (+ 12), and the softmax work runs once per pair over both directions.
 * Same value as amdimLoss to float rounding (lossFused.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Features } from './encoder';
import { REG_WEIGHT, lossSetup, nceCandidates, nceMasks, softClip, softplusStable, sourceIndices, type AmdimLoss, type AmdimLossOptions } from './loss';

/** One pair over both directions: sc (2, B, B·T) clipped scores → mean over (direction, i, l) of ℓ_il. */
function pairLoss(sc: tf.Tensor3D, B: number, T: number): tf.Scalar {
  const { eye, selfBias } = nceMasks(B, T); // (B, B, 1), (B, B·T)
  const s4 = tf.reshape(sc, [2, B, B, T]); // (2, B, B, T)
  const pos = tf.sum(tf.mul(s4, eye), 2); // (2, B, T)
  const negLse = tf.logSumExp(tf.add(sc, selfBias), 2, true); // (2, B, 1)
  return tf.mean(softplusStable(tf.sub(negLse, pos))) as tf.Scalar;
}

export function amdimLossFused(a: Features, b: Features, opts: AmdimLossOptions = {}): AmdimLoss {
  const { tclip, B, D, T5, T7, src5 } = lossSetup(a, b, opts);
  return tf.tidy(() => {
    const flat = (t: tf.Tensor4D, n: number) => tf.reshape(t, [n, D]) as tf.Tensor2D;
    const m5a = flat(a.r5, B * T5), m5b = flat(b.r5, B * T5); // (B·T5, D)
    const sources = (f: Features, m5: tf.Tensor2D, which: '0' | '1') =>
      tf.concat([flat(f.r1, B), tf.gather(m5, sourceIndices(src5[Number(which)], B, T5, which))], 0); // (2B, D)
    const U = tf.stack([sources(a, m5a, '0'), sources(b, m5b, '1')]); // (2, 2B, D): view a sources, view b sources
    const V = tf.stack([
      tf.concat([m5b, flat(b.r7, B * T7)], 0), // targets of the a→b direction
      tf.concat([m5a, flat(a.r7, B * T7)], 0),
    ]); // (2, B·(T5 + T7), D)
    const S = tf.div(tf.matMul(U, V, false, true), Math.sqrt(D)) as tf.Tensor3D; // (2, 2B, B·(T5 + T7))
    const blocks = {
      '1t5': tf.slice(S, [0, 0, 0], [2, B, B * T5]) as tf.Tensor3D, // (2, B, B·T5)
      '1t7': tf.slice(S, [0, 0, B * T5], [2, B, B * T7]) as tf.Tensor3D, // (2, B, B·T7)
      '5t5': tf.slice(S, [0, B, 0], [2, B, B * T5]) as tf.Tensor3D, // (2, B, B·T5)
    };
    // ½ Σ of the two directed regularisers = REG_WEIGHT · mean over both directions.
    const reg = tf.addN(Object.values(blocks).map((s) => tf.mul(tf.mean(tf.square(s)), REG_WEIGHT))) as tf.Scalar;
    const loss1t5 = pairLoss(softClip(blocks['1t5'], tclip), B, T5);
    const loss1t7 = pairLoss(softClip(blocks['1t7'], tclip), B, T7);
    const loss5t5 = pairLoss(softClip(blocks['5t5'], tclip), B, T5);
    const total = tf.addN([loss1t5, loss1t7, loss5t5, reg]) as tf.Scalar;
    const mi = (loss: tf.Scalar, T: number) => tf.sub(Math.log(nceCandidates(B, T)), loss) as tf.Scalar;
    return { loss1t5, loss1t7, loss5t5, reg, total, mi1t5: mi(loss1t5, T5), mi1t7: mi(loss1t7, T7), mi5t5: mi(loss5t5, T5) };
  });
}
