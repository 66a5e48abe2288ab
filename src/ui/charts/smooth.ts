/**
 * TensorBoard-style smoothing: an exponential moving average, debiased so the first points are not
 * pulled towards zero. `weight` 0 returns the input; non-finite values pass through without polluting
 * the average.
 */
export function smooth(values: readonly number[], weight: number): (number | null)[] {
  if (weight <= 0) return values.map((v) => (Number.isFinite(v) ? v : null));
  const out: (number | null)[] = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}
