import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { Critic } from './critic';
import { BoundsLab, labSettings } from './lab';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('critics', () => {
  it.each(['separable', 'concat'] as const)('%s scores S[i][j] = f(x_j, y_i), checked pair by pair', async (kind) => {
    const critic = new Critic({ kind, dim: 3, hidden: 8, layers: 2, embed: 4 }, new Rng(2));
    const rng = new Rng(9);
    const K = 4;
    const x = Array.from({ length: K }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const y = Array.from({ length: K }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const S = (await critic.scores(tf.tensor2d(x), tf.tensor2d(y)).array()) as number[][];
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) expect(S[i][j]).toBeCloseTo(critic.scoreOne(x[j], y[i]), 4);
    critic.dispose();
  });

  it('the same seed gives the same weights', () => {
    const a = new Critic({ kind: 'separable', dim: 2, hidden: 4, layers: 1, embed: 2 }, new Rng(1));
    const b = new Critic({ kind: 'separable', dim: 2, hidden: 4, layers: 1, embed: 2 }, new Rng(1));
    expect(a.scoreOne([0.3, -1], [1, 2])).toBe(b.scoreOne([0.3, -1], [1, 2]));
  });
});

describe('bounds lab', () => {
  it('validates settings by name', () => {
    expect(() => labSettings({ dim: 0 })).toThrow(/dim must be an integer/);
    expect(() => labSettings({ levels: [] })).toThrow(/levels/);
    expect(() => labSettings({ critic: 'deep' as never })).toThrow(/critic/);
    expect(() => labSettings({ batch: 3 } as never)).toThrow(/unknown setting 'batch'/);
    expect(labSettings().dim).toBe(20);
  });

  it('climbs the staircase, learns (InfoNCE rises towards the true MI) and is reproducible', async () => {
    const s = labSettings({ dim: 2, batchSize: 16, hidden: 16, embed: 8, stepsPerLevel: 60, levels: [1, 2], lr: 1e-2, seed: 4 });
    const lab = new BoundsLab(s);
    const pts = [...(await lab.run(50)), ...(await lab.run(400))];
    expect(pts.length).toBe(120);
    expect(lab.done).toBe(true);
    expect(pts[0].trueMi).toBe(1);
    expect(pts[119].trueMi).toBe(2);
    for (const p of pts) {
      expect(p.infonce).toBeLessThanOrEqual(p.logK + 1e-5);
      expect(p.jsRaw).toBeLessThanOrEqual(1e-6);
      for (const k of ['infonce', 'nwj', 'dv', 'js', 'jsRaw'] as const) expect(Number.isFinite(p[k])).toBe(true);
    }
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    const early = mean(pts.slice(0, 10).map((p) => p.infonce));
    const late = mean(pts.slice(95).map((p) => p.infonce));
    expect(late).toBeGreaterThan(early + 0.5);
    expect(late).toBeLessThan(2 + 0.3);
    lab.dispose();

    const again = new BoundsLab(s);
    const first = await again.run(3);
    expect(first.map((p) => p.dv)).toEqual(pts.slice(0, 3).map((p) => p.dv));
    again.batchSize = 8;
    const next = await again.run(1);
    expect(next[0].batchSize).toBe(8);
    expect(next[0].logK).toBeCloseTo(Math.log(8), 12);
    expect(() => (again.batchSize = 1)).toThrow(/batchSize/);
    again.dispose();
  });
});
