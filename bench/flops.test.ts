import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../src/lib/config';
import { createEncoder } from '../src/lib/model/encoder';
import { Rng } from '../src/lib/rng';
import { encoderLayers } from './flops';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('analytic FLOP count', () => {
  for (const imageSize of [32, 64] as const) {
    it(`lists exactly the encoder's weight matrices (${imageSize} px)`, () => {
      const cfg = { ...preset('tiny'), nDepth: 2, imageSize };
      const enc = createEncoder({ ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize }, new Rng(1));
      // Every conv / 1×1 weight (rank 2 or 4) must appear once in the count, with the same shape.
      const weights = Object.entries(enc.namedWeights()).filter(([n, v]) => n.endsWith('weight') && (v.rank === 2 || v.rank === 4));
      const shapes = weights.map(([, v]) => (v.rank === 4 ? `${v.shape[0]}:${v.shape[2]}:${v.shape[3]}` : `1:${v.shape[0]}:${v.shape[1]}`)).sort();
      const counted = encoderLayers(cfg).map((l) => `${l.k}:${l.cin}:${l.cout}`).sort();
      expect(counted).toEqual(shapes);
      enc.dispose();
    });
  }
});
