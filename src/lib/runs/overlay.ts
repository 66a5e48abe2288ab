/**
 * Several runs on one chart: uPlot wants one shared x array, so the runs' step grids are merged and each
 * series gets null where its run logged nothing at that step (the line then bridges the gap).
 */
export interface Curve {
  step: number[];
  value: number[];
}

/** Columnar [x, y1, y2, …]; non-finite values become null; `scale` converts units (nats → bits, → %). */
export function overlay(curves: Curve[], scale = 1): (number | null)[][] {
  const xs = [...new Set(curves.flatMap((c) => c.step))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((c) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    c.step.forEach((s, i) => {
      const v = c.value[i];
      y[index.get(s)!] = Number.isFinite(v) ? v * scale : null;
    });
    return y;
  });
  return [xs, ...ys];
}
