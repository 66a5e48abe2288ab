/**
 * Test helper (used by unit tests only): the "does a checkpoint resume exactly?" experiment. One run trains
 * `total` steps straight through; another trains `cut` steps, is checkpointed, goes through a structured-clone
 * round trip (as IndexedDB does) and is restored into a fresh run that trains the remaining steps. Callers
 * compare the two metric streams.
 */
import type { Config } from '../config';
import type { Dataset } from '../data/dataset';
import type { Checkpoint } from './checkpoint';
import { TrainingRun } from './loop';
import type { MetricPoint } from './types';

export interface ResumeOptions {
  /** Inspect or rewrite the checkpoint before it is restored (the first run is still alive). */
  alter?: (ck: Checkpoint, first: TrainingRun) => Checkpoint;
  /** Inspect the restored run before it trains on. */
  restored?: (run: TrainingRun) => void;
}

/** `straight`: the uninterrupted run's points (steps 1..total); `resumed`: the restored run's (cut+1..total). */
export async function straightAndResumed(
  cfg: Config,
  data: Dataset,
  cut: number,
  total: number,
  opts: ResumeOptions = {},
): Promise<{ straight: MetricPoint[]; resumed: MetricPoint[] }> {
  const straight: MetricPoint[] = [];
  const a = new TrainingRun(cfg, data, { onMetrics: (p) => straight.push(...p) });
  await a.trainSteps(total);
  a.dispose();
  const first = new TrainingRun(cfg, data);
  await first.trainSteps(cut);
  let ck = structuredClone(await first.checkpoint());
  if (opts.alter) ck = opts.alter(ck, first);
  first.dispose();
  const resumed: MetricPoint[] = [];
  const b = new TrainingRun(cfg, data, { onMetrics: (p) => resumed.push(...p) });
  try {
    b.restore(ck.meta, ck.tensors);
    opts.restored?.(b);
    await b.trainSteps(total - cut);
  } finally {
    b.dispose();
  }
  return { straight, resumed };
}
