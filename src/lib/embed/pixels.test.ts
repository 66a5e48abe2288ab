import { describe, expect, it } from 'vitest';
import { pixelFeatures } from './pixels';

describe('raw-pixel features', () => {
  it('keeps 32 px images whole and averages 64 px ones 2×2, then subtracts the mean image', () => {
    const S = 64, n = 3;
    const bytes = Uint8Array.from({ length: n * S * S * 3 }, (_, i) => (i * 7) % 251);
    const { x, dim, side } = pixelFeatures(bytes, n, S);
    expect(side).toBe(32);
    expect(dim).toBe(32 * 32 * 3);
    // slow reference for one value: image 1, pixel (5, 9), channel 2
    const at = (i: number, y: number, xx: number, c: number) => bytes[i * S * S * 3 + (y * S + xx) * 3 + c] / 255;
    const pooled = (i: number) => (at(i, 10, 18, 2) + at(i, 10, 19, 2) + at(i, 11, 18, 2) + at(i, 11, 19, 2)) / 4;
    const mean = (pooled(0) + pooled(1) + pooled(2)) / 3;
    expect(x[1 * dim + (5 * 32 + 9) * 3 + 2]).toBeCloseTo(pooled(1) - mean, 6);
    // columns sum to zero
    for (let d = 0; d < dim; d += 97) expect(x[d] + x[dim + d] + x[2 * dim + d]).toBeCloseTo(0, 5);
    expect(pixelFeatures(new Uint8Array(2 * 32 * 32 * 3), 2, 32).side).toBe(32);
  });
});
