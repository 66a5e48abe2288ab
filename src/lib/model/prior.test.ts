import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from '../config';
import { Rng, rngFor } from '../rng';
import { createTrainer } from '../train/step';
import { makeEmbeddedDataset } from '../data/synthetic';
import { straightAndResumed } from '../train/testRuns';
import { createPriorDiscriminator, discriminatorLoss, generatorLoss, ksToUniform, priorSamples } from './prior';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** D(z) and ∇_z D(z) in float64 loops over the weights (in, out) layouts. */
function refForward(W: Record<string, { data: Float64Array; shape: number[] }>, z: number[]): { out: number; grad: number[] } {
  const lin = (x: number[], name: string) => {
    const w = W[`prior.${name}.weight`], b = W[`prior.${name}.bias`];
    const [nIn, nOut] = w.shape;
    return Array.from({ length: nOut }, (_, o) => {
      let s = b.data[o];
      for (let i = 0; i < nIn; i++) s += x[i] * w.data[i * nOut + o];
      return s;
    });
  };
  const a1 = lin(z, 'fc1');
  const a2 = lin(a1.map((v) => Math.max(v, 0)), 'fc2');
  const out = lin(a2.map((v) => Math.max(v, 0)), 'fc3')[0];
  // Chain rule, layer by layer: dD/da2 = w3 ⊙ 1[a2 > 0]; dD/da1 = (W2 dD/da2) ⊙ 1[a1 > 0]; dD/dz = W1 dD/da1.
  const w1 = W['prior.fc1.weight'], w2 = W['prior.fc2.weight'], w3 = W['prior.fc3.weight'];
  const H1 = w1.shape[1], H2 = w2.shape[1];
  const d2 = Array.from({ length: H2 }, (_, k) => (a2[k] > 0 ? w3.data[k] : 0));
  const d1 = Array.from({ length: H1 }, (_, j) => {
    if (a1[j] <= 0) return 0;
    let s = 0;
    for (let k = 0; k < H2; k++) s += w2.data[j * H2 + k] * d2[k];
    return s;
  });
  const grad = z.map((_, i) => {
    let s = 0;
    for (let j = 0; j < H1; j++) s += w1.data[i * H1 + j] * d1[j];
    return s;
  });
  return { out, grad };
}

describe('prior matching (Deep InfoMax, adversarial, uniform prior)', () => {
  const D = 3, B = 5;
  const make = () => createPriorDiscriminator(D, new Rng(7), [6, 4]);
  const rows = (x: Float32Array) => Array.from({ length: B }, (_, i) => Array.from(x.subarray(i * D, (i + 1) * D)));

  it('discriminator and generator losses match a float64 loop reference, gradient penalty included', () => {
    const d = make();
    const W = Object.fromEntries(Object.entries(d.namedWeights()).map(([k, v]) => [k, { data: Float64Array.from(v.dataSync()), shape: v.shape }]));
    const p = priorSamples(new Rng(1), B, D);
    const q = Float32Array.from({ length: B * D }, (_, i) => 1 / (1 + Math.exp(-Math.sin(3 * i + 1) * 2)));
    const P = rows(p).map((z) => refForward(W, z)), Q = rows(q).map((z) => refForward(W, z));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const sq = (g: number[]) => g.reduce((s, v) => s + v * v, 0);
    const gan = mean(P.map((r) => softplus(-r.out))) + mean(Q.map((r) => softplus(r.out)));
    const pen = 0.5 * (mean(P.map((r) => sq(r.grad))) + mean(Q.map((r) => sq(r.grad))));
    const pt = tf.tensor2d(p, [B, D]), qt = tf.tensor2d(q, [B, D]);
    expect(Math.abs(discriminatorLoss(d, pt, qt).dataSync()[0] - (gan + pen))).toBeLessThan(1e-5);
    expect(Math.abs(discriminatorLoss(d, pt, qt, 0).dataSync()[0] - gan)).toBeLessThan(1e-5);
    expect(Math.abs(generatorLoss(d, qt).dataSync()[0] - mean(Q.map((r) => softplus(-r.out))))).toBeLessThan(1e-5);
    expect(pen).toBeGreaterThan(1e-4); // the penalty is a real part of the case, not a zero
    tf.dispose([pt, qt]);
    d.dispose();
  });

  it('the written-out input gradient equals autodiff (tf.grad)', () => {
    const d = make();
    const z = tf.tensor2d(priorSamples(new Rng(3), B, D), [B, D]);
    const auto = tf.grad((x: tf.Tensor) => tf.sum(d.logits(x as tf.Tensor2D)))(z); // rows are independent: row i is ∇D(z_i)
    const a = auto.dataSync(), mine = d.inputGradSq(z).dataSync();
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += a[i * D + k] ** 2;
      expect(Math.abs(mine[i] - s)).toBeLessThan(1e-6 + 1e-5 * s);
    }
    tf.dispose([z, auto]);
    d.dispose();
  });

  it('gradients are finite for the discriminator (through the penalty) and for the codes', () => {
    const d = make();
    const p = tf.tensor2d(priorSamples(new Rng(4), B, D), [B, D]);
    const q = tf.tensor2d(priorSamples(new Rng(5), B, D), [B, D]);
    const { value, grads } = tf.variableGrads(() => discriminatorLoss(d, p, q), d.trainable);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [k, g] of Object.entries(grads)) {
      const v = g.dataSync();
      expect(v.every(Number.isFinite), k).toBe(true);
    }
    expect(Object.values(grads).some((g) => g.dataSync().some((x) => x !== 0))).toBe(true);
    const gq = tf.grad((x: tf.Tensor) => generatorLoss(d, x as tf.Tensor2D))(q);
    expect(gq.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([p, q, value, ...Object.values(grads), gq]);
    d.dispose();
  });

  it('measures distance to uniform [0, 1] (Kolmogorov–Smirnov) as expected on known samples', () => {
    expect(ksToUniform([0.5])).toBeCloseTo(0.5, 12);
    expect(ksToUniform(Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100))).toBeCloseTo(0.005, 12);
    expect(ksToUniform(Array.from({ length: 100 }, () => 0.5))).toBeCloseTo(0.5, 12);
    expect(ksToUniform(priorSamples(new Rng(9), 400, 8))).toBeLessThan(0.03);
  });

  it('a DIM run with prior matching resumed from a checkpoint continues exactly (discriminator, its Adam and its prior samples)', async () => {
    const cfg = preset('tiny', { method: 'dim', dimPrior: 0.5, trainCount: 32, testCount: 16, probeSize: 16, logEvery: 1 });
    const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: 32 });
    const { straight, resumed } = await straightAndResumed(cfg, data, 2, 4, {
      alter: (ck) => {
        expect(Object.keys(ck.tensors).some((k) => k.startsWith('dim/prior.'))).toBe(true);
        expect(Object.keys(ck.tensors).some((k) => k.startsWith('prior-adam/'))).toBe(true);
        return ck;
      },
      restored: (b) => expect(b.model.priorOptimizer?.step).toBe(2),
    });
    expect(resumed).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(resumed[i].total).toBeCloseTo(straight[2 + i].total, 5);
  }, 300_000);

  it('a few DIM steps with γ > 0 bring σ(r1) closer to the uniform prior than the same steps with γ = 0', () => {
    const steps = 12, Bt = 16;
    const S = 32;
    const imgRng = new Rng(11);
    const batches = Array.from({ length: steps }, () => Float32Array.from({ length: Bt * S * S * 3 }, () => imgRng.next()));
    const evalX = tf.tensor4d(Float32Array.from({ length: 64 * S * S * 3 }, () => imgRng.next()), [64, S, S, 3]);
    const ks = (gamma: number) => {
      const cfg = preset('tiny', { method: 'dim', dimMode: 'local', dimEstimator: 'jsd', dimPrior: gamma, batchSize: Bt, lr: 1e-3, warmup: 0 });
      const t = createTrainer(cfg, 2, rngFor(cfg.seed, 'model'));
      for (const b of batches) {
        const x = tf.tensor4d(b, [Bt, S, S, 3]);
        const out = t.step(x, x, null);
        for (const v of Object.values(out)) {
          expect(Number.isFinite((v as tf.Scalar).dataSync()[0])).toBe(true);
          (v as tf.Tensor).dispose();
        }
        x.dispose();
      }
      for (const v of t.encoder.trainable) expect(v.dataSync().every(Number.isFinite)).toBe(true);
      // Training-mode codes (batch statistics), as the discriminator sees them.
      const q = tf.tidy(() => tf.sigmoid(t.encoder.embed(evalX, true)));
      const d = ksToUniform(q.dataSync());
      q.dispose();
      t.dispose();
      return d;
    };
    const off = ks(0), on = ks(10);
    expect(on).toBeLessThan(off - 0.02);
    evalX.dispose();
  }, 600_000); // 24 DIM steps of the tiny model: minutes on a loaded 2-core machine
});
