/**
 * One plain sentence on the three-way comparison: does the trained encoder beat raw pixels and the random
 * encoder with each classifier? Pure, so the page, the compare view and the tests share it.
 */
import type { EvalPoint } from './types';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export function accuracyVerdict(p: Pick<EvalPoint, 'knnTrained' | 'knnRandom' | 'knnPixels' | 'linTrained' | 'linRandom' | 'linPixels'>): { text: string; warn: boolean } | null {
  const parts: string[] = [];
  let warn = false;
  for (const [name, t, r, x] of [['kNN', p.knnTrained, p.knnRandom, p.knnPixels], ['linear', p.linTrained, p.linRandom, p.linPixels]] as const) {
    if (![t, r, x].every(Number.isFinite)) continue;
    if (x >= t) {
      warn = true;
      parts.push(`Raw pixels beat the trained encoder with ${name} (${pct(x)} vs ${pct(t)}): these features have not yet learned more than the pixels hold.`);
    } else if (r >= t) {
      warn = true;
      parts.push(`The random encoder matches or beats the trained one with ${name} (${pct(r)} vs ${pct(t)}).`);
    } else parts.push(`With ${name} the trained encoder beats raw pixels by ${((t - x) * 100).toFixed(1)} points and the random encoder by ${((t - r) * 100).toFixed(1)}.`);
  }
  return parts.length ? { text: parts.join(' '), warn } : null;
}
