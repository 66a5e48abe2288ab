import { describe, expect, it } from 'vitest';
import { overlay } from './overlay';

describe('overlay', () => {
  it('matches a lookup-per-cell reference on ragged grids', () => {
    const curves = [
      { step: [1, 2, 3, 5], value: [0.1, 0.2, NaN, 0.5] },
      { step: [2, 4, 6], value: [1, 2, 3] },
      { step: [], value: [] },
    ];
    const [xs, ...ys] = overlay(curves, 2);
    expect(xs).toEqual([1, 2, 3, 4, 5, 6]);
    curves.forEach((c, j) =>
      xs.forEach((x, i) => {
        const k = c.step.indexOf(x as number);
        const want = k < 0 || !Number.isFinite(c.value[k]) ? null : c.value[k] * 2;
        expect(ys[j][i]).toBe(want);
      }),
    );
    expect(overlay([])).toEqual([[]]);
  });
});
