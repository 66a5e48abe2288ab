/**
 * One plan, four builders: the tfjs encoder, the graph-model export, the import check and the FLOP count
 * are all built from plan.ts here and must agree with each other name for name, shape for shape.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encoderLayers, layerFlops, stepFlops } from '../../../bench/flops';
import { Rng } from '../rng';
import { createEncoder } from './encoder';
import { exportEncoder, WEIGHTS_FILE } from './export';
import { parseModelFiles } from './import';
import { encoderPlan, planWeights, type EncoderOptions } from './plan';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CASES: EncoderOptions[] = [
  { ndf: 4, nRkhs: 16, nDepth: 2, imageSize: 32 },
  { ndf: 4, nRkhs: 16, nDepth: 2, imageSize: 32, useBn: true },
  { ndf: 2, nRkhs: 24, nDepth: 1, imageSize: 64 },
  { ndf: 2, nRkhs: 24, nDepth: 2, imageSize: 64, useBn: true },
];

describe('the encoder plan drives model, export, import and FLOPs', () => {
  for (const opts of CASES) {
    it(`all four agree (${opts.imageSize} px, nDepth ${opts.nDepth}, useBn ${opts.useBn ?? false})`, async () => {
      const plan = encoderPlan(opts);
      const specs = planWeights(plan);
      const want = specs.map((s) => [s.name, s.shape]);

      // 1. the model: the same names, shapes and order; trainable exactly where the plan says
      const enc = createEncoder(opts, new Rng(1));
      expect(Object.entries(enc.namedWeights()).map(([n, v]) => [n, v.shape])).toEqual(want);
      expect(Object.values(enc.namedWeights()).map((v) => v.trainable)).toEqual(specs.map((s) => s.trainable));
      // the activations have the sizes the plan gives
      const x = tf.zeros([2, opts.imageSize, opts.imageSize, 3]) as tf.Tensor4D;
      const f = tf.tidy(() => {
        const { r1, r5, r7 } = enc.forward(x, false).features;
        return { r1, r5, r7 };
      });
      expect(f.r7.shape.slice(1, 3)).toEqual([plan.heads[0].size, plan.heads[0].size]);
      expect(f.r5.shape.slice(1, 3)).toEqual([plan.heads[1].size, plan.heads[1].size]);
      expect([plan.down.at(-1)!.outSize, plan.to5.at(-1)!.outSize, plan.to3.at(-1)!.outSize, plan.rkhs.outSize]).toEqual([7, 5, 3, 1]);

      // 2. the export: every encoder weight once, with its shape (graph/… are the graph's own constants)
      const { modelJson, weightData } = await exportEncoder(enc);
      const exported = modelJson.weightsManifest[0].weights.filter((w) => !w.name.startsWith('graph/')).map((w) => [w.name, w.shape]);
      expect(new Map(exported as [string, number[]][])).toEqual(new Map(want as [string, number[]][]));
      expect(exported.length).toBe(want.length);

      // 3. the import: reads the export back to the same names and shapes (and checks them against the plan)
      const files = [
        { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)).buffer as ArrayBuffer },
        { name: WEIGHTS_FILE, bytes: weightData },
      ];
      const back = parseModelFiles(files, opts);
      expect(new Map(Object.entries(back).map(([n, w]) => [n, w.shape]))).toEqual(new Map(want as [string, number[]][]));

      // 4. the FLOP count: exactly the conv weights (rank 2 or 4), each with its shape
      const convs = specs.filter((s) => s.name.endsWith('.weight') && (s.shape.length === 2 || s.shape.length === 4));
      const fromWeights = convs.map((s) => (s.shape.length === 4 ? `${s.name}:${s.shape[0]}:${s.shape[2]}:${s.shape[3]}` : `${s.name}:1:${s.shape[0]}:${s.shape[1]}`));
      const counted = encoderLayers({ ...opts }).map((l) => `${l.name}:${l.k}:${l.cin}:${l.cout}`);
      expect(counted.sort()).toEqual(fromWeights.sort());

      tf.dispose([x, f.r1, f.r5, f.r7]);
      enc.dispose();
    });
  }

  it('counts FLOPs as a hand count gives them', () => {
    // 32 px, ndf 4: block1.0 is a 4×4/2 conv from the 30×30 stem map (4 channels) to 14×14×8:
    // 14·14 outputs × 4·4·4 multiply-adds × 8 channels × 2 FLOPs = 200 704.
    const cfg = { ndf: 4, nRkhs: 16, nDepth: 1, imageSize: 32 as const };
    const layers = encoderLayers(cfg);
    const b1 = layers.find((l) => l.name === 'block1.0.conv1.weight')!;
    expect(b1).toMatchObject({ k: 4, out: 14, cin: 4, cout: 8 });
    expect(layerFlops(b1)).toBe(200_704);
    // stem: 30·30 × 3·3·3 × 4 × 2 = 194 400; head7.conv1: 7·7 × 16 × 16 × 2 = 25 088
    expect(layerFlops(layers.find((l) => l.name === 'stem.conv.weight')!)).toBe(194_400);
    expect(layerFlops(layers.find((l) => l.name === 'head7.conv1.weight')!)).toBe(25_088);
    // the step: 3 passes (forward, input grad, filter grad) × 2 views × B images, plus the NCE matmuls
    const perImage = layers.reduce((s, l) => s + layerFlops(l), 0);
    expect(stepFlops({ ...cfg, batchSize: 4 }).encoder).toBe(3 * 2 * 4 * perImage);
  });
});
