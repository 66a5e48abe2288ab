/**
 * When training stops for a held-out evaluation. The evaluation runs in the training worker (BatchNorm
 * refresh, three feature sets, fitted classifiers; the random encoder's and the pixels' scores at the
 * first one) and the curve stands still while it runs: on a 2-core CPU the first one at step 50 took
 * 87 s (Node, idle), so the default page's curve stopped 15 s after it started, inside the minute that
 * decides whether an audience believes the demo. With `evalPace` 'auto' (the default):
 *  - the first evaluation while training waits for FIRST_EVAL_SEC seconds of training or QUIET_INTERVALS
 *    intervals, whichever comes first (a fast GPU reaches the step count long before the time);
 *  - after that, evaluations come at multiples of `embedEvery` but take at most EVAL_SHARE of the time:
 *    one is skipped until training since the last one lasted (1 − share) / share times its cost.
 * 'every' evaluates at every multiple of `embedEvery`, however long it takes (as before issue 12).
 */
import type { Config } from '../config';

export const FIRST_EVAL_SEC = 90;
export const QUIET_INTERVALS = 10;
export const EVAL_SHARE = 0.25;

/** The last evaluation while training: seconds since it ended, and how long it took. */
export interface LastEval {
  sinceSec: number;
  costSec: number;
}

/**
 * True when training should stop at `step` for an evaluation. `trainSec`: seconds of training of the run so
 * far (a resumed run counts its earlier sessions); `last`: the last evaluation while training in this
 * session, or null.
 */
export function evaluationDue(step: number, cfg: Pick<Config, 'embedEvery' | 'evalPace'>, trainSec: number, last: LastEval | null): boolean {
  if (step <= 0 || step % cfg.embedEvery !== 0) return false;
  if (cfg.evalPace === 'every') return true;
  if (!last) return trainSec >= FIRST_EVAL_SEC || step >= QUIET_INTERVALS * cfg.embedEvery;
  return last.sinceSec >= (last.costSec * (1 - EVAL_SHARE)) / EVAL_SHARE;
}
