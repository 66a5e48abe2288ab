/**
 * Adam with torch semantics (L2 weight decay added to the gradient, bias correction, ε outside the root)
 * and a linear warm-up, lr(t) = lr · min(1, (t + 1)/warmup), optionally with step decay (the official
 * MultiStepLR). Its state lives in variables so a checkpoint
 * can list and restore it with the weights.
 */
import * as tf from '@tensorflow/tfjs';
import { constant } from '../model/consts';
import type { Config } from '../config';

/** The config's optimiser keys (warm-up in updates, 0 for none), plus the step decay in updates. */
export interface AdamOptions extends Pick<Config, 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'warmup'> {
  /** Step decay: the rate is multiplied by `gamma` once for every milestone ≤ the update's index (0-based). */
  milestones?: number[];
  gamma?: number;
}

/** The official AMDIM epochs: MultiStepLR(milestones=[250, 280], gamma=0.2) over 300 epochs (CIFAR, STL-10). */
export const OFFICIAL_LR_MILESTONE_EPOCHS = [250, 280];
export const OFFICIAL_LR_GAMMA = 0.2;

/**
 * The official schedule in updates, for an epoch of E updates. The official loop calls scheduler.step(epoch)
 * after epoch `epoch` (0-based), which sets the rate to γ^#{m ≤ epoch}: so the rate first drops for epoch
 * m + 1, i.e. from update (m + 1)·E on.
 */
export function officialLrDecay(
  stepsPerEpoch: number,
  epochs: number[] = OFFICIAL_LR_MILESTONE_EPOCHS,
  gamma: number = OFFICIAL_LR_GAMMA,
): { milestones: number[]; gamma: number } {
  return { milestones: epochs.map((m) => (m + 1) * stepsPerEpoch), gamma };
}

export type Grads = Record<string, tf.Tensor> | (tf.Tensor | null | undefined)[];

export interface Adam {
  /** One update. A record is keyed by variable name (what tf.variableGrads returns); an array is in `vars` order. */
  apply(grads: Grads): void;
  /** m for every variable, then v, then the step count t (a scalar): the checkpoint order. */
  state(): tf.Variable[];
  /** Updates taken so far; setting it (after restoring state()) also sets the stored count. */
  step: number;
  /** The learning rate the next update will use. */
  currentLr(): number;
  dispose(): void;
}

function checkOptions(o: AdamOptions): void {
  const bad = (key: string, why: string) => new Error(`adam: ${key} ${why}, got ${(o as unknown as Record<string, number>)[key]}`);
  if (!(o.lr >= 0)) throw bad('lr', 'must be ≥ 0');
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw bad('beta1', 'must be in [0, 1)');
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw bad('beta2', 'must be in [0, 1)');
  if (!(o.eps > 0)) throw bad('eps', 'must be > 0');
  if (!(o.weightDecay >= 0)) throw bad('weightDecay', 'must be ≥ 0');
  if (!(Number.isInteger(o.warmup) && o.warmup >= 0)) throw bad('warmup', 'must be a whole number ≥ 0');
  if (o.milestones !== undefined && !o.milestones.every((m) => Number.isInteger(m) && m >= 0))
    throw new Error(`adam: milestones must be whole numbers ≥ 0, got [${o.milestones.join(', ')}]`);
  if (o.gamma !== undefined && !(o.gamma > 0 && o.gamma <= 1)) throw bad('gamma', 'must be in (0, 1]');
}

/** The option scalars, uploaded once (consts.ts): a JS number in an op becomes a fresh upload per call. */
interface AdamConsts {
  b1: tf.Scalar;
  b1c: tf.Scalar;
  b2: tf.Scalar;
  b2c: tf.Scalar;
  eps: tf.Scalar;
  wd: tf.Scalar;
}

/** This update's bias-corrected step size lr(t)/(1 − β1^t) and 1/√(1 − β2^t). */
interface StepScalars {
  stepSize: tf.Scalar;
  invSqrtBc2: tf.Scalar;
}

/** How one Adam stores its moments: the update of the weights, its state (before t) and its own tensors. */
interface AdamStore {
  /** grads in `vars` order, null where missing. Returns false when it did nothing (the step count stays). */
  update(grads: (tf.Tensor | null)[], c: AdamConsts, s: StepScalars): void | false;
  state(): tf.Variable[];
  dispose(): void;
}

/**
 * The torch Adam update of weights p with gradient g, on any shape: new moments and the step to subtract.
 * m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², step = lr_t·m̂ / (√v̂ + ε), with L2 decay added to g.
 */
function adamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, c: AdamConsts, s: StepScalars, decay: boolean) {
  const gd = decay ? tf.add(g, tf.mul(p, c.wd)) : g;
  const mk = tf.add(tf.mul(m, c.b1), tf.mul(gd, c.b1c));
  const vk = tf.add(tf.mul(v, c.b2), tf.mul(tf.square(gd), c.b2c));
  const denom = tf.add(tf.mul(tf.sqrt(vk), s.invSqrtBc2), c.eps);
  return { mk, vk, step: tf.mul(tf.div(mk, denom), s.stepSize) };
}

/** What both Adams share: checked options, constants, the step count (a variable, for checkpoints), warm-up. */
function buildAdam(vars: tf.Variable[], opts: AdamOptions, store: AdamStore): Adam {
  const { beta1, beta2, eps, weightDecay } = opts;
  const tVar = tf.tidy(() => tf.variable(tf.scalar(0), false));
  let t = 0;
  const lrAt = (step: number) => {
    const warm = opts.warmup > 0 ? Math.min(1, (step + 1) / opts.warmup) : 1;
    const drops = (opts.milestones ?? []).filter((m) => m <= step).length;
    return opts.lr * warm * Math.pow(opts.gamma ?? 1, drops);
  };

  return {
    apply(grads) {
      if (Array.isArray(grads) && grads.length !== vars.length)
        throw new Error(`adam: got ${grads.length} gradients for ${vars.length} variables`);
      const gs = vars.map((p, k) => (Array.isArray(grads) ? grads[k] : grads[p.name]) ?? null);
      const t1 = t + 1;
      const bc1 = 1 - Math.pow(beta1, t1);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, t1));
      const lr = lrAt(t);
      const c: AdamConsts = {
        b1: constant(beta1),
        b1c: constant(1 - beta1),
        b2: constant(beta2),
        b2c: constant(1 - beta2),
        eps: constant(eps),
        wd: constant(weightDecay),
      };
      const done = tf.tidy(() => {
        if (store.update(gs, c, { stepSize: tf.scalar(lr / bc1), invSqrtBc2: tf.scalar(1 / sqrtBc2) }) === false) return false;
        tVar.assign(tf.scalar(t1));
        return true;
      });
      if (done) t = t1;
    },
    state: () => [...store.state(), tVar],
    get step() {
      return t;
    },
    set step(n: number) {
      if (!(Number.isInteger(n) && n >= 0)) throw new Error(`adam: step must be a whole number ≥ 0, got ${n}`);
      t = n;
      tf.tidy(() => tVar.assign(tf.scalar(n)));
    },
    currentLr: () => lrAt(t),
    dispose() {
      store.dispose();
      tVar.dispose();
    },
  };
}

/** Per-variable Adam (the baseline): about 14 small kernels per variable per step. */
export function createAdam(vars: tf.Variable[], opts: AdamOptions): Adam {
  checkOptions(opts);
  // tidy: tf.variable copies its initial value, which would otherwise leak
  const m = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
  const v = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
  return buildAdam(vars, opts, {
    update(grads, c, s) {
      vars.forEach((p, k) => {
        const g = grads[k];
        if (!g) return; // torch skips parameters without a gradient, decay included
        const { mk, vk, step } = adamUpdate(p, g, m[k], v[k], c, s, opts.weightDecay > 0);
        m[k].assign(mk);
        v[k].assign(vk);
        p.assign(tf.sub(p, step));
      });
    },
    state: () => [...m, ...v],
    dispose: () => tf.dispose([...m, ...v]),
  });
}

/**
 * The same Adam over all variables at once: the gradients and weights are concatenated into one flat
 * vector, the moments live flat, one chain of elementwise kernels updates everything, and the new weights
 * are split back. About 20 + (number of variables) kernels a step instead of 14 per variable: on a GPU,
 * where each small dispatch costs more than its arithmetic, that was half the step's dispatches.
 * state() is [m, v, t] with m and v flat in `vars` order (flattenAdamState converts the per-variable form).
 */
export function createFlatAdam(vars: tf.Variable[], opts: AdamOptions): Adam {
  checkOptions(opts);
  const sizes = vars.map((p) => p.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const m = tf.tidy(() => tf.variable(tf.zeros([n]), false));
  const v = tf.tidy(() => tf.variable(tf.zeros([n]), false));
  // 1 where a variable has a gradient, per pattern of missing gradients (DIM leaves unused heads without one).
  const masks = new Map<string, tf.Tensor1D>();
  const maskFor = (present: boolean[]): tf.Tensor1D => {
    const key = present.map((b) => (b ? 1 : 0)).join('');
    let t = masks.get(key);
    if (!t) {
      const values = new Float32Array(n);
      let o = 0;
      present.forEach((b, k) => {
        if (b) values.fill(1, o, o + sizes[k]);
        o += sizes[k];
      });
      t = tf.keep(tf.tensor1d(values));
      masks.set(key, t);
    }
    return t;
  };

  return buildAdam(vars, opts, {
    update(grads, c, s) {
      if (grads.every((g) => !g)) return false;
      const flat = (x: tf.Tensor) => tf.reshape(x, [-1]);
      const present = grads.map((g) => g !== null);
      const g = tf.concat(grads.map((gk, k) => (gk ? flat(gk) : tf.zeros([sizes[k]])))); // (N)
      const p = tf.concat(vars.map(flat)); // (N)
      let { mk, vk, step } = adamUpdate(p, g, m, v, c, s, opts.weightDecay > 0); // (N) each
      if (present.includes(false)) {
        // torch skips parameters without a gradient, decay and moments included
        const mask = maskFor(present);
        mk = tf.add(m, tf.mul(mask, tf.sub(mk, m)));
        vk = tf.add(v, tf.mul(mask, tf.sub(vk, v)));
        step = tf.mul(step, mask);
      }
      m.assign(mk);
      v.assign(vk);
      const parts = tf.split(tf.sub(p, step), sizes);
      vars.forEach((pk, k) => {
        if (present[k]) pk.assign(tf.reshape(parts[k], pk.shape));
      });
    },
    state: () => [m, v],
    dispose() {
      tf.dispose([m, v, ...masks.values()]);
      masks.clear();
    },
  });
}

type SavedTensor = { shape: number[]; data: Float32Array | ArrayLike<number> };

/**
 * Converts a per-variable Adam state saved under `prefix/0 … prefix/2n` (m for each of the n variables,
 * then v, then t: what createAdam's state() lists) into createFlatAdam's `prefix/0..2` (flat m, flat v, t),
 * in place. Leaves anything else as it is. Returns whether it converted.
 */
export function flattenAdamState(tensors: Record<string, SavedTensor>, prefix: string, nVars: number): boolean {
  const keys = Array.from({ length: 2 * nVars + 1 }, (_, i) => `${prefix}/${i}`);
  if (!keys.every((k) => k in tensors) || `${prefix}/${2 * nVars + 1}` in tensors || nVars < 1) return false;
  const join = (from: number): SavedTensor => {
    const parts = keys.slice(from, from + nVars).map((k) => Float32Array.from(tensors[k].data));
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return { shape: [out.length], data: out };
  };
  const m = join(0), v = join(nVars), t = tensors[keys[2 * nVars]];
  for (const k of keys) delete tensors[k];
  Object.assign(tensors, { [`${prefix}/0`]: m, [`${prefix}/1`]: v, [`${prefix}/2`]: t });
  return true;
}
