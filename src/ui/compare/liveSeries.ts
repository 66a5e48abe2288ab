/** Live curves of the trainer's current run, in the shape LineChart wants (used by the presenter). */
import type { TrainerClient } from '../../lib/worker/client.svelte';
import { overlay } from '../../lib/runs/overlay';
import { PAIR_COLORS } from '../palette';

export const LIVE_MI_SERIES = [
  { label: 'I(1→5)', color: PAIR_COLORS['1t5'] },
  { label: 'I(1→7)', color: PAIR_COLORS['1t7'] },
  { label: 'I(5→5)', color: PAIR_COLORS['5t5'] },
];

export function liveMi(c: TrainerClient, scale: number): (number | null)[][] {
  const m = c.metrics;
  return overlay([m.cols.mi1t5, m.cols.mi1t7, m.cols.mi5t5].map((value) => ({ step: m.step, value })), scale);
}

export const LIVE_ACC_SERIES = [
  { label: 'probe (batch)', color: '#4e79a7', width: 1 },
  // held-out scores come every 'Evaluate every' steps: bridge the gaps and mark the points
  { label: 'linear (held-out)', color: '#59a14f', spanGaps: true, points: true },
  { label: 'kNN (held-out)', color: '#f28e2b', spanGaps: true, points: true },
];

export function liveAcc(c: TrainerClient): (number | null)[][] {
  const m = c.metrics, e = c.evals;
  return overlay([{ step: m.step, value: m.cols.probeAcc }, { step: e.step, value: e.cols.linear }, { step: e.step, value: e.cols.knn }], 100);
}
