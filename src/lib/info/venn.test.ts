import { describe, expect, it } from 'vitest';
import { lensArea, vennLayout } from './venn';

/** Monte-Carlo-free reference: count grid cells inside both circles. */
function gridLens(r1: number, r2: number, d: number, n = 800): number {
  const x0 = -r1;
  const x1 = d + r2;
  const y0 = -Math.max(r1, r2);
  const h = (x1 - x0) / n;
  const hy = (2 * -y0) / n;
  let c = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const x = x0 + (i + 0.5) * h;
      const y = y0 + (j + 0.5) * hy;
      if (x * x + y * y <= r1 * r1 && (x - d) ** 2 + y * y <= r2 * r2) c++;
    }
  return c * h * hy;
}

describe('Venn geometry', () => {
  it('lens area matches counting grid cells', () => {
    for (const [r1, r2, d] of [[1, 1, 1], [1, 0.5, 1.2], [2, 1, 1.5]]) expect(lensArea(r1, r2, d)).toBeCloseTo(gridLens(r1, r2, d), 2);
    expect(lensArea(1, 1, 3)).toBe(0);
    expect(lensArea(2, 1, 0.5)).toBeCloseTo(Math.PI, 12);
  });
  it('layout gives circle areas H(X), H(Y) and overlap area I', () => {
    const { rx, ry, d } = vennLayout(2, 1.5, 0.7);
    expect(Math.PI * rx * rx).toBeCloseTo(2, 12);
    expect(Math.PI * ry * ry).toBeCloseTo(1.5, 12);
    expect(lensArea(rx, ry, d)).toBeCloseTo(0.7, 9);
  });
  it('independent variables do not overlap; identical ones coincide', () => {
    const a = vennLayout(1, 1, 0);
    expect(a.d).toBeCloseTo(a.rx + a.ry, 12);
    expect(vennLayout(1, 1, 1).d).toBeCloseTo(0, 12);
    expect(() => vennLayout(-1, 1, 0)).toThrow(/H\(X\)/);
  });
});
