/** Deterministic fake runs for the runs tests (not a test file itself, so importing it runs nothing). */
import { validate } from '../config';
import { Rng } from '../rng';
import { EVAL_KEYS, METRIC_KEYS, emptySeries, type RunData } from './serialize';

export function fakeRun(seed = 1, steps = 12, withEmbedding = true, over: Partial<RunData> = {}): RunData {
  const rng = new Rng(seed);
  const metrics = emptySeries(METRIC_KEYS);
  const evals = emptySeries(EVAL_KEYS);
  for (let s = 1; s <= steps; s++) {
    metrics.step.push(s);
    for (const k of METRIC_KEYS) metrics.cols[k].push(rng.normal());
    if (s % 4 === 0) {
      evals.step.push(s);
      for (const k of EVAL_KEYS) evals.cols[k].push(rng.next());
    }
  }
  if (steps > 0) metrics.cols.probeLoss[0] = NaN; // not yet computed at step 1: must survive as NaN
  const n = 9, dim = 5;
  const features = new Float32Array(n * dim).map(() => rng.normal());
  return {
    id: `run-${seed}`, name: `Run "${seed}", quoted`, createdAt: 1_700_000_000_000 + seed, config: validate({ seed, crop: 'resized' }, 'tiny'),
    datasetId: 'embedded', datasetName: 'Embedded shapes', classNames: ['a', 'b', 'c'], backend: 'cpu', step: steps, metrics, evals,
    embedding: withEmbedding ? { step: steps, n, dim, features, labels: Int32Array.from({ length: n }, (_, i) => i % 3) } : null,
    ...over,
  };
}

