import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { constant, disposeConstants } from './consts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('uploads each constant once, survives tidy, and is rebuilt after disposeConstants', () => {
  const a = tf.tidy(() => constant(0.25));
  expect(a.isDisposed).toBe(false); // kept: a tidy does not free it
  expect(tf.tidy(() => constant(0.25))).toBe(a);
  expect(constant(0.5)).not.toBe(a);
  expect(a.dataSync()[0]).toBe(0.25);
  const n = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) tf.tidy(() => void tf.mul(tf.ones([2]), constant(0.25)));
  expect(tf.memory().numTensors).toBe(n);
  disposeConstants();
  expect(a.isDisposed).toBe(true);
  const b = constant(0.25);
  expect(b).not.toBe(a);
  expect(b.dataSync()[0]).toBe(0.25);
});
