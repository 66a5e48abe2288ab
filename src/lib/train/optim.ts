/**
 * Adam with torch semantics (L2 weight decay added to the gradient, bias correction, ε outside the root)
 * and a linear warm-up, lr(t) = lr · min(1, (t + 1)/warmup). Its state lives in variables so a checkpoint
 * can list and restore it with the weights.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Warm-up length in updates; 0 for none. */
  warmup: number;
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
}

/** Per-variable Adam (the baseline): about 14 small kernels per variable per step. */
export function createAdam(vars: tf.Variable[], opts: AdamOptions): Adam {
  checkOptions(opts);
  const { beta1, beta2, eps, weightDecay } = opts;
  // tidy: tf.variable copies its initial value, which would otherwise leak
  const m = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
  const v = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
  const tVar = tf.tidy(() => tf.variable(tf.scalar(0), false));
  // Constants made once: a JS number in an op becomes a fresh upload on every call (×6 per variable per step).
  const c = tf.tidy(() => ({
    b1: tf.keep(tf.scalar(beta1)),
    b1c: tf.keep(tf.scalar(1 - beta1)),
    b2: tf.keep(tf.scalar(beta2)),
    b2c: tf.keep(tf.scalar(1 - beta2)),
    eps: tf.keep(tf.scalar(eps)),
    wd: tf.keep(tf.scalar(weightDecay)),
  }));
  let t = 0;
  const lrAt = (step: number) => opts.lr * (opts.warmup > 0 ? Math.min(1, (step + 1) / opts.warmup) : 1);

  const gradFor = (grads: Grads, k: number): tf.Tensor | null | undefined =>
    Array.isArray(grads) ? grads[k] : grads[vars[k].name];

  return {
    apply(grads) {
      if (Array.isArray(grads) && grads.length !== vars.length)
        throw new Error(`adam: got ${grads.length} gradients for ${vars.length} variables`);
      const lr = lrAt(t);
      const t1 = t + 1;
      const bc1 = 1 - Math.pow(beta1, t1);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, t1));
      tf.tidy(() => {
        const invSqrtBc2 = tf.scalar(1 / sqrtBc2);
        const stepSize = tf.scalar(lr / bc1);
        vars.forEach((p, k) => {
          let g = gradFor(grads, k);
          if (!g) return; // torch skips parameters without a gradient, decay included
          if (weightDecay > 0) g = tf.add(g, tf.mul(p, c.wd));
          const mk = tf.add(tf.mul(m[k], c.b1), tf.mul(g, c.b1c));
          const vk = tf.add(tf.mul(v[k], c.b2), tf.mul(tf.square(g), c.b2c));
          m[k].assign(mk);
          v[k].assign(vk);
          const denom = tf.add(tf.mul(tf.sqrt(vk), invSqrtBc2), c.eps);
          p.assign(tf.sub(p, tf.mul(tf.div(mk, denom), stepSize)));
        });
        tVar.assign(tf.scalar(t1));
      });
      t = t1;
    },
    state: () => [...m, ...v, tVar],
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
      tf.dispose([...m, ...v, tVar, ...Object.values(c)]);
    },
  };
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
  const { beta1, beta2, eps, weightDecay } = opts;
  const sizes = vars.map((p) => p.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const m = tf.tidy(() => tf.variable(tf.zeros([n]), false));
  const v = tf.tidy(() => tf.variable(tf.zeros([n]), false));
  const tVar = tf.tidy(() => tf.variable(tf.scalar(0), false));
  const c = tf.tidy(() => ({
    b1: tf.keep(tf.scalar(beta1)),
    b1c: tf.keep(tf.scalar(1 - beta1)),
    b2: tf.keep(tf.scalar(beta2)),
    b2c: tf.keep(tf.scalar(1 - beta2)),
    eps: tf.keep(tf.scalar(eps)),
    wd: tf.keep(tf.scalar(weightDecay)),
  }));
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
  let t = 0;
  const lrAt = (step: number) => opts.lr * (opts.warmup > 0 ? Math.min(1, (step + 1) / opts.warmup) : 1);

  return {
    apply(grads) {
      if (Array.isArray(grads) && grads.length !== vars.length)
        throw new Error(`adam: got ${grads.length} gradients for ${vars.length} variables`);
      const gs = vars.map((p, k) => (Array.isArray(grads) ? grads[k] : grads[p.name]) ?? null);
      if (gs.every((g) => !g)) return;
      const lr = lrAt(t);
      const t1 = t + 1;
      const bc1 = 1 - Math.pow(beta1, t1);
      const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, t1));
      tf.tidy(() => {
        const flat = (x: tf.Tensor) => tf.reshape(x, [-1]);
        const present = gs.map((g) => g !== null);
        const partial = present.includes(false);
        let g = tf.concat(gs.map((gk, k) => (gk ? flat(gk) : tf.zeros([sizes[k]])))); // (N)
        const p = tf.concat(vars.map(flat)); // (N)
        if (weightDecay > 0) g = tf.add(g, tf.mul(p, c.wd));
        let mk = tf.add(tf.mul(m, c.b1), tf.mul(g, c.b1c)); // (N)
        let vk = tf.add(tf.mul(v, c.b2), tf.mul(tf.square(g), c.b2c)); // (N)
        const denom = tf.add(tf.mul(tf.sqrt(vk), tf.scalar(1 / sqrtBc2)), c.eps);
        let step = tf.mul(tf.div(mk, denom), tf.scalar(lr / bc1)); // (N)
        if (partial) {
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
        tVar.assign(tf.scalar(t1));
      });
      t = t1;
    },
    state: () => [m, v, tVar],
    get step() {
      return t;
    },
    set step(s: number) {
      if (!(Number.isInteger(s) && s >= 0)) throw new Error(`adam: step must be a whole number ≥ 0, got ${s}`);
      t = s;
      tf.tidy(() => tVar.assign(tf.scalar(s)));
    },
    currentLr: () => lrAt(t),
    dispose() {
      tf.dispose([m, v, tVar, ...Object.values(c), ...masks.values()]);
      masks.clear();
    },
  };
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
