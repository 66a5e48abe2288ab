import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { mutualInformation } from './entropy';
import { miForRho, rhoForMi, sampleCorrelated, staircaseLevel } from './gaussian';

/** MI of a bivariate normal with correlation ρ, by discretising its density on a fine grid. */
function gridMi(rho: number, n = 400, lim = 7): number {
  const h = (2 * lim) / n;
  const c = 1 / (2 * (1 - rho * rho));
  const t: number[][] = [];
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = -lim + (i + 0.5) * h;
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      const y = -lim + (j + 0.5) * h;
      const v = Math.exp(-c * (x * x - 2 * rho * x * y + y * y));
      row.push(v);
      s += v;
    }
    t.push(row);
  }
  return mutualInformation(t.map((r) => r.map((v) => v / s)), Math.E);
}

describe('correlated Gaussian test bed', () => {
  it('closed form −½ log(1 − ρ²) per dimension matches a discretised bivariate normal', () => {
    for (const rho of [0.3, 0.6, 0.8]) expect(gridMi(rho)).toBeCloseTo(miForRho(rho, 1), 3);
  });
  it('rhoForMi inverts miForRho over the staircase, d = 20', () => {
    for (const mi of [0, 2, 4, 6, 8, 10]) {
      const rho = rhoForMi(mi, 20);
      expect(rho).toBeGreaterThanOrEqual(0);
      expect(rho).toBeLessThan(1);
      expect(miForRho(rho, 20)).toBeCloseTo(mi, 10);
    }
    expect(() => rhoForMi(-1, 20)).toThrow(/MI/);
    expect(() => rhoForMi(2, 0)).toThrow(/dimension d/);
  });
  it('samples have unit variance and correlation ρ, and are seeded', () => {
    const rho = 0.7;
    const { x, y } = sampleCorrelated(new Rng(3), 4000, 5, rho);
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let i = 0; i < x.length; i++) {
      sxx += x[i] * x[i];
      syy += y[i] * y[i];
      sxy += x[i] * y[i];
    }
    expect(sxx / x.length).toBeCloseTo(1, 1);
    expect(syy / y.length).toBeCloseTo(1, 1);
    expect(sxy / Math.sqrt(sxx * syy)).toBeCloseTo(rho, 1);
    expect(sampleCorrelated(new Rng(3), 2, 2, rho).x).toEqual(sampleCorrelated(new Rng(3), 2, 2, rho).x);
  });
  it('the staircase holds each level for stepsPerLevel steps, then stays on the last', () => {
    const lv = [2, 4, 6];
    expect([0, 99, 100, 250, 299, 300, 1000].map((s) => staircaseLevel(s, 100, lv))).toEqual([2, 2, 4, 6, 6, 6, 6]);
  });
});
