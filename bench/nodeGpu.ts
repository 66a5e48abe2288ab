/**
 * WebGPU in Node for the benchmark: cli/node-gpu.ts with Dawn's `allow_unsafe_apis`, so the device offers
 * timestamp queries (tf.profile's per-kernel GPU times).
 */
import { installNodeWebGpu } from '../cli/node-gpu';

export function installGpu(opts: { allowSoftware: boolean }) {
  return installNodeWebGpu({ ...opts, dawnFlags: ['enable-dawn-features=allow_unsafe_apis'] });
}
