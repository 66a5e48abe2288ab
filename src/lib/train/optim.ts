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
