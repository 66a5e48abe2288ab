/**
 * Bicubic resampling as PIL does it (torchvision's resize and resized_crop on PIL images, interpolation 3,
 * which the official AMDIM code uses for its random resized crops and its test-time Resize), written as
 * two matrices per image: out = Ry · img · Rxᵀ, one batched matmul per axis. PIL resamples separably with
 * the cubic kernel a = −0.5, support 2 (widened by the scale when shrinking, which antialiases), window
 * clipped to the input and weights renormalised, horizontal pass first, clamped between the passes. PIL
 * also rounds to 8 bits between and after its passes; this stays in float32 (within ~1/255 of PIL).
 */
import * as tf from '@tensorflow/tfjs';

/** PIL's bicubic kernel (a = −0.5). */
export function cubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * Rows of a resampling matrix (outCount, srcSize): source pixels [start, start + len) resized to `outSize`
 * pixels (PIL's precompute_coeffs on the cropped input, so the window stops at the crop's edges), keeping
 * output pixels [skip, skip + outCount) (a centre crop after the resize).
 */
export function bicubicRows(srcSize: number, start: number, len: number, outSize: number, skip = 0, outCount = outSize): Float32Array {
  if (!(len >= 1 && start >= 0 && start + len <= srcSize)) throw new RangeError(`bicubicRows: window [${start}, ${start + len}) outside [0, ${srcSize})`);
  const scale = len / outSize, filterScale = Math.max(scale, 1), support = 2 * filterScale;
  const m = new Float32Array(outCount * srcSize);
  for (let k = 0; k < outCount; k++) {
    const center = (k + skip + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0), hi = Math.min(Math.trunc(center + support + 0.5), len);
    let sum = 0;
    const w: number[] = [];
    for (let x = lo; x < hi; x++) {
      const v = cubic((x - center + 0.5) / filterScale);
      w.push(v);
      sum += v;
    }
    for (let x = lo; x < hi; x++) if (sum !== 0) m[k * srcSize + start + x] = w[x - lo] / sum;
  }
  return m;
}

/**
 * Resample every image of x (n, S, S, 3) in [0, 1] with its own column and row matrices: rx and ry hold n
 * (out, S) matrices each, flattened. As PIL: the horizontal pass first, clamped to [0, 1] (PIL stores it
 * in 8 bits), then the vertical pass, clamped. Returns (n, out, out, 3).
 */
export function resampleBatch(x: tf.Tensor4D, ry: Float32Array, rx: Float32Array, out: number): tf.Tensor4D {
  const [n, S, S2, c] = x.shape;
  if (S !== S2) throw new RangeError(`resampleBatch: images must be square, got ${S}×${S2}`);
  if (ry.length !== n * out * S || rx.length !== n * out * S) throw new RangeError(`resampleBatch: expected ${n} matrices of ${out}×${S}`);
  return tf.tidy(() => {
    const byCol = tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [n, S, S * c]); // (n, x, y·c)
    const h = tf.clipByValue(tf.matMul(tf.tensor3d(rx, [n, out, S]), byCol), 0, 1); // (n, out x, y·c)
    const byRow = tf.reshape(tf.transpose(tf.reshape(h, [n, out, S, c]), [0, 2, 1, 3]), [n, S, out * c]); // (n, y, out·c)
    const v = tf.clipByValue(tf.matMul(tf.tensor3d(ry, [n, out, S]), byRow), 0, 1); // (n, out y, out·c)
    return tf.reshape(v, [n, out, out, c]) as tf.Tensor4D;
  });
}

/**
 * The official test-time view of a 64 px image (STL-10: Resize(70) then CenterCrop(64), bicubic); 32 px
 * images are used as they are (CIFAR-10: no resize; the same tensor comes back). x is (n, S, S, 3) in [0, 1].
 */
export function testView(x: tf.Tensor4D): tf.Tensor4D {
  const [n, S] = x.shape;
  if (S !== 64) return x;
  const big = 70, skip = Math.round((big - S) / 2); // torchvision center_crop: int(round((70 − 64) / 2))
  const r = bicubicRows(S, 0, S, big, skip, S);
  const all = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++) all.set(r, i * S * S);
  return resampleBatch(x, all, all, S);
}

/** STL-10 normalisation of the official 64 px pipeline: (x − mean) / std per channel; 32 px inputs stay in [0, 1]. */
export const STL10_MEAN = [0.43, 0.42, 0.39] as const;
export const STL10_STD = [0.27, 0.26, 0.27] as const;

export function normalizeInput(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[1] !== 64) return x;
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d([...STL10_MEAN])), tf.tensor1d([...STL10_STD])) as tf.Tensor4D);
}
