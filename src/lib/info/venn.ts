/**
 * Geometry for an information Venn diagram drawn to scale: two circles whose areas are H(X) and H(Y) and
 * whose overlap (a lens) has area I(X; Y). Pure maths so it can be tested; the SVG lives in ui/learn.
 */

/** Area of the intersection of circles with radii r1, r2 whose centres are d apart. */
export function lensArea(r1: number, r2: number, d: number): number {
  if (d >= r1 + r2) return 0;
  const small = Math.min(r1, r2);
  if (d <= Math.abs(r1 - r2)) return Math.PI * small * small;
  const a1 = r1 * r1 * Math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1));
  const a2 = r2 * r2 * Math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2));
  const k = 0.5 * Math.sqrt(Math.max(0, (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2)));
  return a1 + a2 - k;
}

export interface VennLayout {
  rx: number;
  ry: number;
  /** Distance between the centres. */
  d: number;
}

/**
 * Radii with π r² = H and the centre distance whose lens area is I, found by bisection (the lens area
 * falls monotonically as the circles move apart). I is clamped to [0, min(Hx, Hy)].
 */
export function vennLayout(hx: number, hy: number, mi: number): VennLayout {
  for (const [k, v] of [['H(X)', hx], ['H(Y)', hy], ['I(X;Y)', mi]] as const)
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`Venn diagram: ${k} must be a finite number ≥ 0, got ${v}`);
  const rx = Math.sqrt(hx / Math.PI);
  const ry = Math.sqrt(hy / Math.PI);
  const target = Math.min(mi, Math.PI * Math.min(rx, ry) ** 2);
  let lo = Math.abs(rx - ry);
  let hi = rx + ry;
  if (target <= 0) return { rx, ry, d: hi };
  if (target >= Math.PI * Math.min(rx, ry) ** 2 - 1e-12) return { rx, ry, d: lo };
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (lensArea(rx, ry, mid) > target) lo = mid;
    else hi = mid;
  }
  return { rx, ry, d: (lo + hi) / 2 };
}
