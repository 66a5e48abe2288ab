/**
 * `tsx cli/glProbe.ts`: the OpenGL ES fallback of node-gpu.ts end to end, for its test. Installs Node
 * WebGPU with DAWN_BACKEND=opengles (software allowed: Mesa's llvmpipe on a machine without a GPU), then
 * computes a convolution's filter and input gradients on the webgpu backend and on the CPU backend and prints
 * one JSON line: {adapter, dawnBackend, maxDiff} or {skipped: why}.
 */
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGpu } from './node-gpu';

process.env.DAWN_BACKEND = 'opengles';
const g = await installNodeWebGpu({ allowSoftware: true });
if (!g.ok) {
  console.log(JSON.stringify({ skipped: g.note }));
  process.exit(0);
}
await import('@tensorflow/tfjs-backend-webgpu');

async function grads(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  await tf.ready();
  const x = tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i * 0.37)), [2, 9, 9, 3]);
  const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i * 0.11)), [3, 3, 3, 4]);
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum();
  const [dx, dw] = tf.grads(f)([x, w]);
  return [(await dx.data()) as Float32Array, (await dw.data()) as Float32Array];
}

const gpu = await grads('webgpu');
const cpu = await grads('cpu');
let maxDiff = 0;
gpu.forEach((a, k) => a.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - cpu[k][i]) / Math.max(1, Math.abs(cpu[k][i]))))));
console.log(JSON.stringify({ adapter: g.note, dawnBackend: g.dawnBackend, maxDiff }));
process.exit(0);
