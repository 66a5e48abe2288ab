/**
 * The fast k×k convolution: tf.conv2d forward, filter gradient as a matmul. tfjs's WebGPU
 * Conv2DBackpropFilter is one naive thread per filter weight looping over the whole batch; here
 * dW = im2col(x)ᵀ · dy (one gather with a cached index + one matmul). On the CPU backend dW keeps
 * params.ts's loop, which is faster there. Checked
 * against tf.conv2d's own gradients and against plain loops in fastconv.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGrad } from './params';

/** (Ho·Wo·k·k) flat input positions: row (i, j) of the patch matrix reads x at (s·i + a, s·j + b). */
const indexCache = new Map<string, tf.Tensor1D>();

function patchIndex(H: number, W: number, k: number, s: number): tf.Tensor1D {
  const key = `${H}:${W}:${k}:${s}`;
  let t = indexCache.get(key);
  if (!t || t.isDisposed) {
    const Ho = Math.floor((H - k) / s) + 1, Wo = Math.floor((W - k) / s) + 1;
    const idx = new Int32Array(Ho * Wo * k * k);
    let n = 0;
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) idx[n++] = (s * i + a) * W + (s * j + b);
    // Built once per shape and kept: a constant index tensor must not be re-uploaded every step.
    t = tf.keep(tf.tensor1d(idx, 'int32'));
    indexCache.set(key, t);
  }
  return t;
}

/** Frees the cached index tensors (teardown, backend switch). */
export function disposeConvCache(): void {
  for (const t of indexCache.values()) t.dispose();
  indexCache.clear();
}

/**
 * im2col for a valid k×k, stride-s convolution: (B·Ho·Wo, k·k·C), column (a·k + b)·C + c, the same order as
 * a (k, k, C, O) filter reshaped to (k·k·C, O), so conv2d(x, w) = im2col(x) · reshape(w).
 */
export function im2col(x: tf.Tensor4D, k: number, s: number): tf.Tensor2D {
  const [B, H, W, C] = x.shape;
  const Ho = Math.floor((H - k) / s) + 1, Wo = Math.floor((W - k) / s) + 1;
  return tf.tidy(() => {
    const flat = tf.reshape(x, [B, H * W, C]); // (B, H·W, C)
    const cols = tf.gather(flat, patchIndex(H, W, k, s), 1); // (B, Ho·Wo·k·k, C)
    return tf.reshape(cols, [B * Ho * Wo, k * k * C]) as tf.Tensor2D; // (B·Ho·Wo, k·k·C)
  });
}

/** dW[a, b, c, o] = Σ x[n, s·i + a, s·j + b, c] · dy[n, i, j, o] as one matmul over the patch matrix. */
export function filterGradMM(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: [number, number, number, number], s: number): tf.Tensor4D {
  const [k, , C, O] = wShape;
  return tf.tidy(() => {
    const cols = im2col(x, k, s); // (B·Ho·Wo, k·k·C)
    const g = tf.reshape(dy, [-1, O]) as tf.Tensor2D; // (B·Ho·Wo, O)
    return tf.reshape(tf.matMul(cols, g, true, false), [k, k, C, O]) as tf.Tensor4D; // (k, k, C, O)
  });
}

/**
 * Input gradient of a valid conv: the transposed convolution of dy. tfjs's matmul-based WebGPU variant
 * (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE = false) was 5× slower than the naive kernel on these small maps
 * (SwiftShader profile, bench/results), so the default kernel stays until a real GPU says otherwise.
 */
export function inputGradMM(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: [number, number, number, number], s: number): tf.Tensor4D {
  return tf.conv2dTranspose(dy, w, xShape, s, 'valid');
}

const fastConvOp = (s: number, inputGrad: boolean) =>
  tf.customGrad((...args: unknown[]) => {
    const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, (t: tf.Tensor[]) => void];
    save([x, w]);
    return {
      value: tf.conv2d(x, w, s, 'valid'), // (B, Ho, Wo, O)
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const g = dy as tf.Tensor4D;
        // On the CPU backend the contiguous JS loop (which skips post-ReLU zeros) beats im2col + matmul.
        const dw = tf.getBackend() === 'cpu' ? conv2dFilterGrad(xs, g, ws.shape, s) : filterGradMM(xs, g, ws.shape, s);
        // The stem's input is the image: tfjs prunes that gradient for its own ops, a customGrad must ask.
        return [inputGrad ? inputGradMM(g, ws, xs.shape, s) : tf.zerosLike(xs), dw];
      },
    };
  });
const opsByStride = new Map<string, ReturnType<typeof fastConvOp>>();

/**
 * Valid k×k convolution, stride s, filter (k, k, C, O), with matmul-shaped gradients. inputGrad false:
 * x is a constant (the input image), so its gradient is not computed (it comes back as zeros).
 */
export function convKxKFast(x: tf.Tensor4D, w: tf.Tensor4D, s: number, inputGrad = true): tf.Tensor4D {
  const key = `${s}:${inputGrad}`;
  let op = opsByStride.get(key);
  if (!op) opsByStride.set(key, (op = fastConvOp(s, inputGrad)));
  return op(x, w) as tf.Tensor4D;
}
