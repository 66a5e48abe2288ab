/**
 * amdimLoss (loss.ts) with the scores of all six directed pairs from ONE batched matmul: per direction the
 * sources [r1; r5 at the sampled location] (2B, D) meet the targets [r5 map, r7 map] (B·(T5 + T7), D) of
 * the other view. The r5-source × r7-target block is computed and dropped (a third of the matmul, cheap
 * next to the encoder); in exchange the step launches 2 matmul kernels (1 forward + its 2 gradient
 * matmuls) instead of 6 (+ 12), and the softmax work runs once per pair over both directions.
 * From the scores on, the gradient is written out (ncePairs): tfjs's autodiff of the softmax, clip and
 * softplus chain took about 140 small GPU dispatches a step, the closed form about 45.
 * The image-level bounds (loss.ts, imageBound) come from the same clipped scores inside the op; they are
 * read-outs and carry no gradient.
 * Same value and gradients as amdimLoss to float rounding (lossFused.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { constant } from './consts';
import type { Features } from './encoder';
import { REG_WEIGHT, lossSetup, nceCandidates, nceMasks, softplusStable, sourceIndices, type AmdimLoss, type AmdimLossOptions } from './loss';

interface Block {
  /** Rows (sources) and columns (target locations) of the block in S (2, 2B, B·(T5 + T7)). */
  row: number;
  col: number;
  T: number;
}

/**
 * [loss1t5, loss1t7, loss5t5, reg, bound1t5, bound1t7, bound5t5] from the scores S (2, 2B, B·(T5 + T7)),
 * with a hand-written gradient (none for the bounds).
 * Per block (one pair, both directions), with ĉ = c·tanh(s/c) and d_il = negLse_i − ĉ_iil:
 *   loss = mean softplus(d),  ∂loss/∂ĉ_iil = −σ(d_il)/N,  ∂loss/∂ĉ_ijl' (j ≠ i) = Σ_l σ(d_il)/N · e^{ĉ_ijl' − negLse_i},
 *   ∂ĉ/∂s = 1 − tanh²(s/c),  and reg = REG_WEIGHT · Σ_blocks mean s² gives 2·REG_WEIGHT·s/numel.
 */
function ncePairs(S: tf.Tensor3D, B: number, T5: number, T7: number, tclip: number): tf.Tensor1D {
  const blocks: Block[] = [
    { row: 0, col: 0, T: T5 }, // r1 → r5
    { row: 0, col: B * T5, T: T7 }, // r1 → r7
    { row: B, col: 0, T: T5 }, // r5 → r5
  ];
  const clip = Number.isFinite(tclip);
  const op = tf.customGrad((...args: unknown[]) => {
    const [scores, save] = args as [tf.Tensor3D, (t: tf.Tensor[]) => void];
    const keep: tf.Tensor[] = [];
    const losses: tf.Scalar[] = [];
    const regs: tf.Scalar[] = [];
    const bounds: tf.Scalar[] = [];
    const eyeB = tf.reshape(nceMasks(B, 1).eye, [B, B]); // (B, B)
    for (const { row, col, T } of blocks) {
      const { eye, selfBias } = nceMasks(B, T); // (B, B, 1), (B, B·T)
      const s = tf.slice(scores, [0, row, col], [2, B, B * T]) as tf.Tensor3D; // (2, B, B·T)
      const th = clip ? tf.tanh(tf.mul(s, constant(1 / tclip))) : s; // (2, B, B·T)
      const c = clip ? tf.mul(th, constant(tclip)) : s; // ĉ
      const pos = tf.sum(tf.mul(tf.reshape(c, [2, B, B, T]), eye), 2); // (2, B, T)
      const z = tf.add(c, selfBias); // (2, B, B·T), self-image scores pushed to −∞
      const negLse = tf.logSumExp(z, 2, true); // (2, B, 1)
      const d = tf.sub(negLse, pos); // (2, B, T)
      losses.push(tf.mean(softplusStable(d)) as tf.Scalar);
      regs.push(tf.mul(tf.mean(tf.square(s)), constant(REG_WEIGHT)) as tf.Scalar);
      // Image-level bound, both directions: f_ij = log Σ_l e^{ĉ_ijl} (the −log T cancels).
      const f = tf.logSumExp(tf.reshape(c, [2, B, B, T]), 3); // (2, B, B)
      const gap = tf.sub(tf.sum(tf.mul(f, eyeB), 2), tf.logSumExp(f, 2)); // (2, B): f_ii − log Σ_j e^{f_ij}
      bounds.push(tf.add(tf.mean(gap), constant(Math.log(B))) as tf.Scalar);
      keep.push(s, th, z, negLse, d);
    }
    save(keep);
    return {
      value: tf.stack([...losses, tf.addN(regs), ...bounds]) as tf.Tensor1D, // (7)
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dys = tf.unstack(dy); // loss1t5, loss1t7, loss5t5, reg, then the bounds (no gradient)
        const parts = blocks.map(({ T }, k) => {
          const [s, th, z, negLse, d] = saved.slice(5 * k, 5 * k + 5);
          const { eye } = nceMasks(B, T);
          const n = 2 * B * T; // terms in the block's mean
          const w = tf.mul(tf.sigmoid(d), tf.mul(dys[k], constant(1 / n))); // (2, B, T): −∂loss/∂pos
          const negW = tf.sum(w, 2, true); // (2, B, 1)
          const softNeg = tf.exp(tf.sub(z, negLse)); // (2, B, B·T), zero on the own image
          const onPos = tf.reshape(tf.mul(tf.reshape(w, [2, B, 1, T]), eye), [2, B, B * T]); // w at j = i
          const dc = tf.sub(tf.mul(softNeg, negW), onPos); // ∂/∂ĉ
          const ds = clip ? tf.mul(dc, tf.sub(constant(1), tf.square(th))) : dc;
          return tf.add(ds, tf.mul(s, tf.mul(dys[3], constant((2 * REG_WEIGHT) / s.size)))) as tf.Tensor3D; // (2, B, B·T)
        });
        const top = tf.concat([parts[0], parts[1]], 2); // (2, B, B·(T5 + T7))
        const bottom = tf.concat([parts[2], tf.zeros([2, B, B * T7])], 2); // the dropped r5 → r7 block
        return tf.concat([top, bottom], 1); // (2, 2B, B·(T5 + T7))
      },
    };
  });
  return op(S) as tf.Tensor1D;
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
    const S = tf.mul(tf.matMul(U, V, false, true), constant(1 / Math.sqrt(D))) as tf.Tensor3D; // (2, 2B, B·(T5 + T7))
    const terms = ncePairs(S, B, T5, T7, tclip); // (7)
    const [loss1t5, loss1t7, loss5t5, reg, bound1t5, bound1t7, bound5t5] = tf.unstack(terms) as tf.Scalar[];
    const total = tf.sum(tf.slice(terms, 0, 4)) as tf.Scalar;
    const est = (loss: tf.Scalar, T: number) => tf.sub(constant(Math.log(nceCandidates(B, T))), loss) as tf.Scalar;
    return {
      loss1t5, loss1t7, loss5t5, reg, total,
      nceEst1t5: est(loss1t5, T5), nceEst1t7: est(loss1t7, T7), nceEst5t5: est(loss5t5, T5),
      bound1t5, bound1t7, bound5t5,
    };
  });
}
