/** Information units offered on the Learn pages: the log base is the only difference between them. */
export type Unit = 'bits' | 'nats' | 'dits';
export const UNITS: readonly Unit[] = ['bits', 'nats', 'dits'];
export const BASE: Readonly<Record<Unit, number>> = { bits: 2, nats: Math.E, dits: 10 };
export const UNIT_HELP: Readonly<Record<Unit, string>> = {
  bits: 'bits: log base 2 (shannons)',
  nats: 'nats: natural log, base e (what the training code uses)',
  dits: 'dits: log base 10 (hartleys, bans)',
};

/** Fixed 3 decimals so live numbers do not jitter in width; ∞ spelt out. */
export function fmt(v: number, digits = 3): string {
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (Number.isNaN(v)) return '—';
  const s = v.toFixed(digits);
  return s.startsWith('-') ? `−${s.slice(1)}` : s;
}

/** Sets p[k] = v (clamped to [0, 1]) and rescales the others so the whole still sums to 1. */
export function setNormalised(p: readonly number[], k: number, v: number): number[] {
  const val = Math.min(1, Math.max(0, v));
  const rest = p.reduce((s, x, i) => (i === k ? s : s + x), 0);
  const n = p.length;
  const out = p.map((x, i) => {
    if (i === k) return val;
    return rest > 0 ? (x * (1 - val)) / rest : (1 - val) / (n - 1);
  });
  // Absorb rounding into the edited entry's largest neighbour so Σ = 1 holds to the last ulp we can manage.
  const s = out.reduce((a, b) => a + b, 0);
  let j = k === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) if (i !== k && out[i] > out[j]) j = i;
  if (n > 1) out[j] = Math.max(0, out[j] + (1 - s));
  return out;
}

/** Non-negative weights → probabilities; an error message naming the bad cell otherwise. */
export function normaliseWeights(w: readonly (readonly number[])[], name: string): { p: number[][] } | { error: string } {
  let s = 0;
  for (let i = 0; i < w.length; i++)
    for (let j = 0; j < w[i].length; j++) {
      const v = w[i][j];
      if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `${name} row ${i + 1}, column ${j + 1}: not a number` };
      if (v < 0) return { error: `${name} row ${i + 1}, column ${j + 1}: ${v} is negative (probabilities are ≥ 0)` };
      s += v;
    }
  if (s <= 0) return { error: `${name}: every entry is 0, so there is nothing to normalise` };
  return { p: w.map((r) => r.map((v) => v / s)) };
}

/** One labelled number on a Learn page; `id` doubles as its data-testid. */
export interface Measure {
  id: string;
  label: string;
  value: number;
  help: string;
}
