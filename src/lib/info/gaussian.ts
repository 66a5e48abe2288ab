/**
 * The correlated-Gaussian test bed with a known MI (SCIENCE.md §2, Poole et al. 2019): x ~ N(0, I_d),
 * y = ρx + √(1−ρ²)ε, so each of the d coordinate pairs carries −½ log(1−ρ²) nats and I(X; Y) = d times that.
 */
import type { Rng } from '../rng';

/** I(X; Y) in nats for correlation ρ in each of d independent coordinate pairs. */
export function miForRho(rho: number, d: number): number {
  if (!(rho > -1 && rho < 1)) throw new RangeError(`correlation ρ must be in (−1, 1), got ${rho}`);
  checkDim(d);
  return -(d / 2) * Math.log1p(-rho * rho);
}

/** The ρ ≥ 0 that gives I(X; Y) = mi nats over d dimensions (inverse of `miForRho`). */
export function rhoForMi(mi: number, d: number): number {
  if (!(mi >= 0) || !Number.isFinite(mi)) throw new RangeError(`target MI must be a finite number ≥ 0 nats, got ${mi}`);
  checkDim(d);
  return Math.sqrt(-Math.expm1((-2 * mi) / d));
}

function checkDim(d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`dimension d must be an integer ≥ 1, got ${d}`);
}

/** K pairs, row-major (K, d) each: y_i = ρ x_i + √(1−ρ²) ε_i. */
export function sampleCorrelated(rng: Rng, K: number, d: number, rho: number): { x: Float32Array; y: Float32Array } {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`batch size K must be an integer ≥ 1, got ${K}`);
  checkDim(d);
  if (!(rho > -1 && rho < 1)) throw new RangeError(`correlation ρ must be in (−1, 1), got ${rho}`);
  const x = new Float32Array(K * d);
  const y = new Float32Array(K * d);
  const s = Math.sqrt(1 - rho * rho);
  for (let i = 0; i < K * d; i++) {
    const xi = rng.normal();
    x[i] = xi;
    y[i] = rho * xi + s * rng.normal();
  }
  return { x, y };
}

/** The MI staircase: level k (0-based) for steps [k·stepsPerLevel, (k+1)·stepsPerLevel). */
export function staircaseLevel(step: number, stepsPerLevel: number, levels: readonly number[]): number {
  return levels[Math.min(levels.length - 1, Math.floor(step / stepsPerLevel))];
}

export const DEFAULT_STAIRCASE: readonly number[] = [2, 4, 6, 8, 10];
