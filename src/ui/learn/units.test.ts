import { describe, expect, it } from 'vitest';
import { fmt, normaliseWeights, setNormalised } from './units';

describe('learn helpers', () => {
  it('setNormalised keeps the sum at 1 and the others in proportion', () => {
    const p = setNormalised([0.2, 0.3, 0.5], 0, 0.6);
    expect(p[0]).toBe(0.6);
    expect(p[1] / p[2]).toBeCloseTo(0.6, 12);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-15);
    expect(setNormalised([1, 0, 0], 0, 0.4)).toEqual([0.4, 0.3, 0.3]);
    expect(setNormalised([0.5, 0.5], 1, 2)).toEqual([0, 1]);
  });
  it('normaliseWeights divides by the total and names bad cells', () => {
    expect(normaliseWeights([[1, 3]], 'P')).toEqual({ p: [[0.25, 0.75]] });
    expect(normaliseWeights([[1, -3]], 'P')).toEqual({ error: 'P row 1, column 2: -3 is negative (probabilities are ≥ 0)' });
    expect(normaliseWeights([[0, 0]], 'P')).toHaveProperty('error');
    expect(normaliseWeights([[NaN]], 'P')).toHaveProperty('error');
  });
  it('fmt uses a real minus and spells infinity', () => {
    expect(fmt(1)).toBe('1.000');
    expect(fmt(-0.5)).toBe('−0.500');
    expect(fmt(Infinity)).toBe('∞');
  });
});
