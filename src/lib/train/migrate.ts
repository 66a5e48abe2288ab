/**
 * Metric and evaluation points saved by earlier versions (checkpoint histories, stored runs, run files),
 * brought to today's names. Before issue 13 the AMDIM curve was stored as `mi1t5/mi1t7/mi5t5` and called
 * an MI lower bound; it is AMDIM's NCE estimate (log K − L), not a bound, so it becomes `nceEst*`. Those runs
 * have no image-level bound (NaN). Their evaluation had the online probe under `linear`, a leave-one-out
 * kNN inside the held-out set under `knn`/`knnRandom`, and a fitted softmax for the random encoder only
 * under `linearRandom`: each moves to the key that says what it was; what was never measured is NaN.
 */
import { EVAL_KEYS, METRIC_KEYS, type EvalPoint, type MetricPoint } from './types';

type Loose = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : NaN);

const METRIC_RENAMES: Record<string, string> = { mi1t5: 'nceEst1t5', mi1t7: 'nceEst1t7', mi5t5: 'nceEst5t5' };
const EVAL_RENAMES: Record<string, string> = { linear: 'probeOnline', knn: 'knnTrained', knnRandom: 'knnRandom', linearRandom: 'linRandom' };

/** True when `p` uses the names from before issue 13. */
export function isLegacyMetric(p: Loose): boolean {
  return 'mi1t5' in p && !('nceEst1t5' in p);
}
export function isLegacyEval(p: Loose): boolean {
  return 'linear' in p && !('probeOnline' in p);
}

/** Today's MetricPoint from an old or current one (current points pass through unchanged). */
export function migrateMetric(p: Loose): MetricPoint {
  if (!isLegacyMetric(p)) return p as unknown as MetricPoint;
  const out: Loose = { step: p.step };
  for (const k of METRIC_KEYS) out[k] = NaN;
  for (const [k, v] of Object.entries(p)) if (k !== 'step') out[METRIC_RENAMES[k] ?? k] = num(v);
  return out as unknown as MetricPoint;
}

export function migrateEval(p: Loose): EvalPoint {
  if (!isLegacyEval(p)) return p as unknown as EvalPoint;
  const out: Loose = { step: p.step };
  for (const k of EVAL_KEYS) out[k] = NaN;
  for (const [k, v] of Object.entries(p)) if (EVAL_RENAMES[k]) out[EVAL_RENAMES[k]] = num(v);
  return out as unknown as EvalPoint;
}

/**
 * Column form (stored runs, run files): the same renames on a `cols` record of arrays; every column that
 * did not exist then is filled with NaN (`length` values). Current columns pass through unchanged.
 */
export function migrateColumns(cols: Loose, kind: 'metrics' | 'evals', length: number): Loose {
  const legacy = kind === 'metrics' ? 'mi1t5' in cols && !('nceEst1t5' in cols) : 'linear' in cols && !('probeOnline' in cols);
  if (!legacy) return cols;
  const renames = kind === 'metrics' ? METRIC_RENAMES : EVAL_RENAMES;
  const keys: readonly string[] = kind === 'metrics' ? METRIC_KEYS : EVAL_KEYS;
  const out: Loose = Object.fromEntries(keys.map((k) => [k, Array.from({ length }, () => NaN)]));
  for (const [k, v] of Object.entries(cols)) {
    const to = renames[k] ?? (kind === 'metrics' ? k : null);
    if (to && keys.includes(to)) out[to] = v;
  }
  return out;
}
