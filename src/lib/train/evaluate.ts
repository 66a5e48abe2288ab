/**
 * Evaluation helpers that run on plain arrays (CPU): a softmax-regression fit used for the random-encoder
 * baseline, and accuracy. Kept off the GPU because they run once per evaluation on at most a few thousand
 * rows.
 */

/** Standardise columns in place using the statistics of `ref` (train) rows; returns (mean, std). */
export function standardise(x: Float32Array, n: number, dim: number, stats?: { mean: Float64Array; std: Float64Array }) {
  let mean = stats?.mean, std = stats?.std;
  if (!mean || !std) {
    mean = new Float64Array(dim);
    std = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += x[i * dim + d] / n;
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) std[d] += (x[i * dim + d] - mean[d]) ** 2 / n;
    for (let d = 0; d < dim; d++) std[d] = Math.sqrt(std[d]) + 1e-6;
  }
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] = (x[i * dim + d] - mean[d]) / std[d];
  return { mean, std };
}

/**
 * Multinomial logistic regression by full-batch gradient descent with L2 (weights (dim+1, classes)).
 * Small and deterministic (zero init); enough for a baseline on ≤ a few thousand rows.
 */
export function fitSoftmax(x: Float32Array, n: number, dim: number, labels: Int32Array, classes: number, opts: { iters?: number; lr?: number; l2?: number } = {}) {
  const iters = opts.iters ?? 200, lr = opts.lr ?? 0.5, l2 = opts.l2 ?? 1e-3;
  const w = new Float64Array((dim + 1) * classes);
  const grad = new Float64Array(w.length);
  const p = new Float64Array(classes);
  let used = 0;
  for (let i = 0; i < n; i++) if (labels[i] >= 0) used++;
  if (used === 0) return w;
  for (let it = 0; it < iters; it++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (y < 0) continue;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let z = w[dim * classes + c];
        for (let d = 0; d < dim; d++) z += x[i * dim + d] * w[d * classes + c];
        p[c] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += p[c] = Math.exp(p[c] - max);
      for (let c = 0; c < classes; c++) {
        const g = (p[c] / sum - (c === y ? 1 : 0)) / used;
        grad[dim * classes + c] += g;
        for (let d = 0; d < dim; d++) grad[d * classes + c] += g * x[i * dim + d];
      }
    }
    for (let k = 0; k < w.length; k++) w[k] -= lr * (grad[k] + (k < dim * classes ? l2 * w[k] : 0));
  }
  return w;
}

/** Accuracy of a fitted softmax model on rows with a label ≥ 0. */
export function softmaxAccuracy(w: Float64Array, x: Float32Array, n: number, dim: number, labels: Int32Array, classes: number): number {
  let right = 0, total = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    let best = -Infinity, arg = -1;
    for (let c = 0; c < classes; c++) {
      let z = w[dim * classes + c];
      for (let d = 0; d < dim; d++) z += x[i * dim + d] * w[d * classes + c];
      if (z > best) { best = z; arg = c; }
    }
    total++;
    if (arg === labels[i]) right++;
  }
  return total ? right / total : 0;
}

/** Accuracy of argmax over (n, classes) logits. */
export function argmaxAccuracy(logits: Float32Array, n: number, classes: number, labels: Int32Array): number {
  let right = 0, total = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    let best = -Infinity, arg = -1;
    for (let c = 0; c < classes; c++) if (logits[i * classes + c] > best) { best = logits[i * classes + c]; arg = c; }
    total++;
    if (arg === labels[i]) right++;
  }
  return total ? right / total : 0;
}
