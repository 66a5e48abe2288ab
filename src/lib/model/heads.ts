/**
 * The small heads that lift the 5×5 and 7×7 trunk maps into the critic space (AMDIM's FakeRKHSConvNet):
 * h = BN(conv1×1(ReLU(conv1×1 x)) + W_sc x). W_sc starts as identity on the overlapping channels plus
 * small noise and the second conv starts at zero, so a fresh head passes the trunk features through.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamBank, batchNorm, conv1x1, createBatchNorm, heBound, type BatchNormParams } from './params';

export interface Head {
  bn: BatchNormParams;
  apply(x: tf.Tensor4D, training: boolean, stats: tf.Tensor[]): tf.Tensor4D;
}

/** fused: BatchNorm with its gradient written out (the fast step). */
export function createHead(bank: ParamBank, name: string, nIn: number, nOut: number, fused = false): Head {
  const w1 = bank.uniform(`${name}.conv1.weight`, [nIn, nOut], heBound(nIn));
  const w2 = bank.constant(`${name}.conv2.weight`, [nOut, nOut], 0);
  const sc = new Float32Array(nIn * nOut);
  for (let i = 0; i < sc.length; i++) sc[i] = bank.rng.uniform(-0.01, 0.01);
  for (let c = 0; c < Math.min(nIn, nOut); c++) sc[c * nOut + c] = 1;
  const wsc = bank.values(`${name}.shortcut.weight`, [nIn, nOut], sc);
  const bn = createBatchNorm(bank, `${name}.bn_out`, nOut);
  return {
    bn,
    apply(x, training, stats) {
      const res = conv1x1(tf.relu(conv1x1(x, w1)), w2); // (B, t, t, nOut)
      return batchNorm(tf.add(res, conv1x1(x, wsc)), bn, training, stats, fused); // (B, t, t, nOut)
    },
  };
}
