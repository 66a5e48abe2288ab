import { describe, expect, it } from 'vitest';
import { accuracyVerdict } from './verdict';

describe('accuracyVerdict', () => {
  it('says plainly when raw pixels win', () => {
    const v = accuracyVerdict({ knnTrained: 0.2, knnRandom: 0.15, knnPixels: 0.25, linTrained: 0.3, linRandom: 0.2, linPixels: 0.27 })!;
    expect(v.warn).toBe(true);
    expect(v.text).toMatch(/Raw pixels beat the trained encoder with kNN \(25\.0% vs 20\.0%\)/);
    expect(v.text).toMatch(/With linear the trained encoder beats raw pixels by 3\.0 points and the random encoder by 10\.0/);
  });
  it('flags a random encoder that keeps up, and says nothing without numbers', () => {
    expect(accuracyVerdict({ knnTrained: 0.2, knnRandom: 0.2, knnPixels: 0.1, linTrained: NaN, linRandom: NaN, linPixels: NaN })!.text).toMatch(/random encoder matches or beats/);
    expect(accuracyVerdict({ knnTrained: NaN, knnRandom: NaN, knnPixels: NaN, linTrained: NaN, linRandom: NaN, linPixels: NaN })).toBeNull();
  });
});
