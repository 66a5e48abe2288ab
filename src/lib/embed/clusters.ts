/**
 * Well-separated Gaussian clusters: the synthetic ground truth for t-SNE tests and the benchmark
 * (an embedding that keeps these clusters apart scores trustworthiness near 1).
 */
import { Rng } from '../rng';

/** n points in `dim` dimensions around `classes` centres drawn N(0, separation²); unit noise. */
export function gaussianClusters(n: number, dim: number, classes: number, seed = 0, separation = 10): { data: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const centres = Float64Array.from({ length: classes * dim }, () => separation * rng.normal());
  const data = new Float32Array(n * dim); // (n, dim)
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centres[c * dim + d] + rng.normal();
  }
  return { data, labels };
}
