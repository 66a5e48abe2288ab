/**
 * AMDIM's multi-scale NCE cost (SCIENCE.md §4). One matmul per directed pair scores every source vector
 * against every location of every target image; each positive (i, l) competes only with the locations of
 * the other images, so every softmax has K = 1 + (B − 1)·t² candidates.
 *
 * Two read-outs per pair come from the same scores:
 * - the NCE estimate log K − L_NCE (AMDIM's number). NOT a lower bound: InfoNCE's guarantee needs K
 *   independent candidates, and the t² locations of one image are one correlated draw, so it can exceed the
 *   true MI (loss.test.ts builds such a case);
 * - the image-level InfoNCE bound (infoNceBound), a valid lower bound on I(view a; view b), ceiling log B.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import type { Features } from './encoder';

export interface AmdimLoss {
  loss1t5: tf.Scalar;
  loss1t7: tf.Scalar;
  loss5t5: tf.Scalar;
  reg: tf.Scalar;
  total: tf.Scalar;
  /** AMDIM's NCE estimate log K − L per pair (nats); not a bound, see the file comment. */
  nceEst1t5: tf.Scalar;
  nceEst1t7: tf.Scalar;
  nceEst5t5: tf.Scalar;
  /** Image-level InfoNCE lower bound per pair (nats), mean of both directions; ceiling log B. */
  bound1t5: tf.Scalar;
  bound1t7: tf.Scalar;
  bound5t5: tf.Scalar;
}

export interface AmdimLossOptions {
  /** Soft clip c of the scores, c·tanh(s/c). Default 20. */
  tclip?: number;
  /** Source location (0 … t²−1 of the 5×5 map) per image, for view a as source and view b as source. */
  src5?: [ArrayLike<number>, ArrayLike<number>];
  /** Seed for src5 when it is not given. */
  seed?: number;
}

export const REG_WEIGHT = 0.05;
// Added to the self-image scores so exp() sends them to 0. Finite because some GPU shader compilers treat
// infinities as undefined behaviour; clipped scores never come near it.
const MASK = -1e9;

/** Number of softmax candidates per positive: one positive and the other images' t² locations. */
export function nceCandidates(batch: number, locations: number): number {
  return 1 + (batch - 1) * locations;
}

/** s[i, j, l] = <u_i, v_jl> / √D. */
export function nceScores(u: tf.Tensor2D, v: tf.Tensor3D): tf.Tensor3D {
  const [B, D] = u.shape;
  const [Bv, T, Dv] = v.shape;
  if (D !== Dv) throw new Error(`nceScores: feature sizes differ, u has ${D}, v has ${Dv}`);
  const s = tf.matMul(u, tf.reshape(v, [Bv * T, D]), false, true); // (B, Bv·T)
  return tf.reshape(tf.div(s, Math.sqrt(D)), [B, Bv, T]); // (B, Bv, T)
}

export interface Masks {
  eye: tf.Tensor3D; // (B, B, 1): 1 where j = i
  selfBias: tf.Tensor2D; // (B, B·T): MASK where j = i, else 0
}
const maskCache = new Map<string, Masks>();

export function nceMasks(B: number, T: number): Masks {
  const key = `${B}:${T}`;
  let m = maskCache.get(key);
  if (!m) {
    const eye = new Float32Array(B * B);
    const bias = new Float32Array(B * B * T);
    for (let i = 0; i < B; i++) {
      eye[i * B + i] = 1;
      bias.fill(MASK, (i * B + i) * T, (i * B + i + 1) * T);
    }
    m = tf.tidy(() => ({ eye: tf.keep(tf.tensor3d(eye, [B, B, 1])), selfBias: tf.keep(tf.tensor2d(bias, [B, B * T])) }));
    maskCache.set(key, m);
  }
  return m;
}

/** Frees the cached masks (on teardown or a backend switch). */
export function disposeLossCache(): void {
  for (const m of maskCache.values()) tf.dispose([m.eye, m.selfBias]);
  maskCache.clear();
}

/** softplus(d) = log(1 + e^d), written so that neither large nor very negative d overflows. */
export function softplusStable(d: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(d), tf.log1p(tf.exp(tf.neg(tf.abs(d)))));
}

/**
 * Positive and negative parts of the clipped scores: pos[i, l] = ŝ_iil and negLse[i] = log Σ_{j≠i, l'} e^{ŝ_ijl'}.
 * Exported for dim.ts, which scores the same way.
 */
export function splitScores(sc: tf.Tensor3D): { pos: tf.Tensor2D; negLse: tf.Tensor2D } {
  const [B, , T] = sc.shape;
  const { eye, selfBias } = nceMasks(B, T);
  const pos = tf.sum(tf.mul(sc, eye), 1) as tf.Tensor2D; // (B, T)
  const negLse = tf.logSumExp(tf.add(tf.reshape(sc, [B, B * T]), selfBias), 1, true) as tf.Tensor2D; // (B, 1)
  return { pos, negLse };
}

/** Soft clip c·tanh(s/c); c = Infinity leaves the scores alone. */
export function softClip(s: tf.Tensor3D, c: number): tf.Tensor3D {
  return Number.isFinite(c) ? tf.mul(tf.tanh(tf.div(s, c)), c) : s;
}

/**
 * The image-level InfoNCE bound from clipped scores sc[i, j, l] (B, B, T), in nats. The critic of source i
 * and target image j is f_ij = log mean_l e^{sc_ijl} (a function of the whole target map, so the B images are
 * the B independent candidates InfoNCE needs); bound = mean_i [f_ii − log((1/B) Σ_j e^{f_ij})] ≤ log B.
 * The −log T inside f cancels between the two terms, so it is left out.
 */
export function imageBound(sc: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const [B, Bv] = sc.shape;
    if (B !== Bv) throw new Error(`imageBound: scores must be (B, B, T), got (${sc.shape.join(', ')})`);
    const f = tf.logSumExp(sc, 2); // (B, B): f_ij + log T
    const diag = tf.sum(tf.mul(f, tf.reshape(nceMasks(B, 1).eye, [B, B])), 1); // (B): f_ii + log T
    const lse = tf.logSumExp(f, 1); // (B): log Σ_j e^{f_ij} + log T
    return tf.add(tf.mean(tf.sub(diag, lse)), Math.log(B)) as tf.Scalar;
  });
}

/**
 * Valid lower bound on I(u's view; v's view) from source vectors u (B, D) and target maps v (B, T, D): the
 * image-level InfoNCE bound on the soft-clipped scores ŝ = c·tanh(s/c), s = ⟨u, v⟩/√D (the scores the loss
 * uses). Ceiling log B. The pair (u_i, V_i) comes from one image; I(u; V) ≤ I(view a; view b) by data processing.
 */
export function infoNceBound(u: tf.Tensor2D, v: tf.Tensor3D, tclip: number): tf.Scalar {
  if (u.shape[0] !== v.shape[0]) throw new Error(`infoNceBound: ${u.shape[0]} sources for ${v.shape[0]} target maps`);
  if (u.shape[0] < 2) throw new Error(`infoNceBound: needs a batch of at least 2 images, got ${u.shape[0]}`);
  if (!(tclip > 0)) throw new Error(`infoNceBound: tclip must be positive, got ${tclip}`);
  return tf.tidy(() => imageBound(softClip(nceScores(u, v), tclip)));
}

/**
 * One directed NCE term: mean over (i, l) of ℓ_il, the score regulariser on the unclipped scores, and the
 * image-level bound on the same clipped scores (no extra matmul).
 */
export function nceDirection(u: tf.Tensor2D, v: tf.Tensor3D, tclip: number): { loss: tf.Scalar; reg: tf.Scalar; bound: tf.Scalar } {
  const s = nceScores(u, v); // (B, B, T)
  const reg = tf.mul(tf.mean(tf.square(s)), REG_WEIGHT) as tf.Scalar;
  const sc = softClip(s, tclip);
  const { pos, negLse } = splitScores(sc);
  // ℓ = −log(e^pos / (e^pos + e^negLse)) = softplus(negLse − pos)
  const loss = tf.mean(softplusStable(tf.sub(negLse, pos))) as tf.Scalar;
  return { loss, reg, bound: imageBound(sc) };
}

/** One uniformly random 5×5 location per image, for view a as source and for view b as source. */
export function sampleSrc5(rng: Rng, batch: number, locations = 25): [Int32Array, Int32Array] {
  const a = new Int32Array(batch);
  const b = new Int32Array(batch);
  for (let i = 0; i < batch; i++) a[i] = rng.int(locations);
  for (let i = 0; i < batch; i++) b[i] = rng.int(locations);
  return [a, b];
}

export function checkFeatures(a: Features, b: Features): { B: number; D: number } {
  const [B, , , D] = a.r1.shape;
  for (const [name, f] of [['a', a], ['b', b]] as const) {
    for (const key of ['r1', 'r5', 'r7'] as const) {
      const t = f[key];
      if (t.rank !== 4 || t.shape[0] !== B || t.shape[3] !== D || t.shape[1] !== t.shape[2])
        throw new Error(`amdimLoss: ${name}.${key} has shape (${t.shape.join(', ')}); expected (${B}, t, t, ${D})`);
    }
    if (f.r1.shape[1] !== 1) throw new Error(`amdimLoss: ${name}.r1 must be (B, 1, 1, D), got (${f.r1.shape.join(', ')})`);
    if (f.r5.shape[1] !== a.r5.shape[1] || f.r7.shape[1] !== a.r7.shape[1])
      throw new Error('amdimLoss: the two views have feature maps of different sizes');
  }
  if (B < 2) throw new Error(`amdimLoss: needs a batch of at least 2 images (negatives come from other images), got ${B}`);
  return { B, D };
}

export function sourceIndices(src: ArrayLike<number>, B: number, T: number, which: string): tf.Tensor1D {
  if (src.length !== B) throw new Error(`amdimLoss: src5[${which}] has ${src.length} entries, expected one per image (${B})`);
  const idx = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    const l = src[i];
    if (!Number.isInteger(l) || l < 0 || l >= T)
      throw new Error(`amdimLoss: src5[${which}][${i}] = ${l} is not a location in [0, ${T})`);
    idx[i] = i * T + l;
  }
  return tf.tensor1d(idx, 'int32');
}

/** Checked sizes, clip and 5→5 source locations shared by the plain and the fused loss. */
export function lossSetup(a: Features, b: Features, opts: AmdimLossOptions) {
  const tclip = opts.tclip ?? 20;
  if (!(tclip > 0)) throw new Error(`amdimLoss: tclip must be positive, got ${tclip}`);
  const { B, D } = checkFeatures(a, b);
  const T5 = a.r5.shape[1] * a.r5.shape[2];
  const T7 = a.r7.shape[1] * a.r7.shape[2];
  const src5 = opts.src5 ?? sampleSrc5(new Rng(opts.seed ?? 0), B, T5);
  return { tclip, B, D, T5, T7, src5 };
}

export function amdimLoss(a: Features, b: Features, opts: AmdimLossOptions = {}): AmdimLoss {
  const { tclip, B, D, T5, T7, src5 } = lossSetup(a, b, opts);
  return tf.tidy(() => {
    const u1a = tf.reshape(a.r1, [B, D]) as tf.Tensor2D; // (B, D)
    const u1b = tf.reshape(b.r1, [B, D]) as tf.Tensor2D;
    const m5a = tf.reshape(a.r5, [B, T5, D]) as tf.Tensor3D; // (B, 25, D)
    const m5b = tf.reshape(b.r5, [B, T5, D]) as tf.Tensor3D;
    const m7a = tf.reshape(a.r7, [B, T7, D]) as tf.Tensor3D; // (B, 49, D)
    const m7b = tf.reshape(b.r7, [B, T7, D]) as tf.Tensor3D;
    const u5a = tf.gather(tf.reshape(m5a, [B * T5, D]), sourceIndices(src5[0], B, T5, '0')) as tf.Tensor2D; // (B, D)
    const u5b = tf.gather(tf.reshape(m5b, [B * T5, D]), sourceIndices(src5[1], B, T5, '1')) as tf.Tensor2D; // (B, D)

    const terms = [
      [nceDirection(u1a, m5b, tclip), nceDirection(u1b, m5a, tclip)],
      [nceDirection(u1a, m7b, tclip), nceDirection(u1b, m7a, tclip)],
      [nceDirection(u5a, m5b, tclip), nceDirection(u5b, m5a, tclip)],
    ];
    const [loss1t5, loss1t7, loss5t5] = terms.map(([ab, ba]) => tf.mul(tf.add(ab.loss, ba.loss), 0.5) as tf.Scalar);
    const reg = tf.mul(tf.addN(terms.flatMap(([ab, ba]) => [ab.reg, ba.reg])), 0.5) as tf.Scalar;
    const total = tf.addN([loss1t5, loss1t7, loss5t5, reg]) as tf.Scalar;
    const est = (loss: tf.Scalar, T: number) => tf.sub(Math.log(nceCandidates(B, T)), loss) as tf.Scalar;
    const [bound1t5, bound1t7, bound5t5] = terms.map(([ab, ba]) => tf.mul(tf.add(ab.bound, ba.bound), 0.5) as tf.Scalar);
    return {
      loss1t5,
      loss1t7,
      loss5t5,
      reg,
      total,
      nceEst1t5: est(loss1t5, T5),
      nceEst1t7: est(loss1t7, T7),
      nceEst5t5: est(loss5t5, T5),
      bound1t5,
      bound1t7,
      bound5t5,
    };
  });
}
