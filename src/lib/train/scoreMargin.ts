/**
 * How much an accuracy measured on n held-out images can be trusted. Each image is 1/n of the score, and
 * sampling alone moves an accuracy p by about ±1.96·√(p(1−p)/n) (95%, normal approximation to the
 * binomial); at p = ½, the worst case, that is ±0.98/√n. Used to put the held-out size and a plain warning
 * next to every score.
 */

/** Held-out images below which the page says that scores mean little (±10 points at 95%). */
export const SMALL_HELD_OUT = 100;

/** Worst-case 95% half-width of an accuracy on n images, as a fraction (0.25 = ±25 points). */
export function scoreMargin(n: number): number {
  return n > 0 ? 1.96 * Math.sqrt(0.25 / n) : Infinity;
}

/** A sentence for the page when n is too small for a score to mean much; null otherwise. */
export function smallHeldOutWarning(n: number): string | null {
  if (!(n < SMALL_HELD_OUT)) return null;
  if (n < 2) return `Only ${n} held-out image${n === 1 ? '' : 's'}: no score can be measured. Import more photos.`;
  const each = (100 / n).toFixed(n > 50 ? 1 : 0);
  const margin = Math.round(100 * scoreMargin(n));
  return `Only ${n} held-out images: each one is ${each} points of accuracy, and chance alone moves a score by up to ±${margin} points (95%). Differences smaller than that mean nothing; import more photos for scores that do.`;
}
