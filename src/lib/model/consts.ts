/**
 * Scalar constants uploaded once. A JS number passed to a tfjs op becomes a fresh tensor, which on a GPU
 * backend is one more buffer and upload per use per step (79 a tiny step before these were cached).
 */
import * as tf from '@tensorflow/tfjs';

// Keyed by backend too: a tensor of another backend would be copied across on every use.
const cache = new Map<string, tf.Scalar>();

/** The scalar `v` as a kept tensor, made on first use; safe inside tidy and on the tape. */
export function constant(v: number): tf.Scalar {
  const key = `${tf.getBackend()}:${v}`;
  let t = cache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.scalar(v));
    cache.set(key, t);
  }
  return t;
}

/** Frees the cached constants (teardown, backend switch). */
export function disposeConstants(): void {
  for (const t of cache.values()) t.dispose();
  cache.clear();
}
