/**
 * Raw pixels as features, the baseline a learned encoder must beat on the map and in "more like this":
 * each image (S, S, 3) bytes, averaged down to at most MAX_SIDE px a side (64 px photos become 32 px, so
 * 3,072 numbers each), scaled to [0, 1], minus the mean image of the set. Cosine similarity on these is
 * then correlation of the pixels, not their overall brightness.
 */
export const MAX_SIDE = 32;

/** (n, s·s·3) features of n images of side S, s = S / f for the smallest whole f with s ≤ maxSide. */
export function pixelFeatures(bytes: Uint8Array, n: number, S: number, maxSide = MAX_SIDE): { x: Float32Array; dim: number; side: number } {
  const f = Math.ceil(S / maxSide);
  const s = Math.floor(S / f), dim = s * s * 3, per = S * S * 3;
  const x = new Float32Array(n * dim);
  const mean = new Float64Array(dim);
  const norm = 1 / (255 * f * f);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < s; y++)
      for (let xx = 0; xx < s; xx++)
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) sum += bytes[i * per + ((y * f + dy) * S + xx * f + dx) * 3 + c];
          const v = sum * norm, d = (y * s + xx) * 3 + c;
          x[i * dim + d] = v;
          mean[d] += v / n;
        }
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d] -= mean[d];
  return { x, dim, side: s };
}
