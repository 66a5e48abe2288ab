/** Live curves of the trainer's current run, in the shape LineChart wants (used by the presenter). */
import type { TrainerClient } from '../../lib/worker/client.svelte';
import { overlay } from '../../lib/runs/overlay';
import { PAIR_COLORS } from '../palette';

/** The image-level InfoNCE lower bound per pair (a true bound, ceiling log B). */
export const LIVE_MI_SERIES = [
  { label: 'bound 1→5', color: PAIR_COLORS['1t5'] },
  { label: 'bound 1→7', color: PAIR_COLORS['1t7'] },
  { label: 'bound 5→5', color: PAIR_COLORS['5t5'] },
];

export function liveMi(c: TrainerClient, scale: number): (number | null)[][] {
  const m = c.metrics;
  return overlay([m.cols.bound1t5, m.cols.bound1t7, m.cols.bound5t5].map((value) => ({ step: m.step, value })), scale);
}

/** Fitted classifiers only (the online probe is a live signal, not comparable): trained, random encoder, raw pixels. */
export const LIVE_ACC_SERIES = [
  { label: 'kNN trained', color: '#56b4e9' },
  { label: 'kNN random enc.', color: '#999999', dash: [6, 4] },
  { label: 'kNN pixels', color: '#e69f00', dash: [2, 3] },
  { label: 'linear trained', color: '#56b4e9', width: 1 },
  { label: 'linear random enc.', color: '#999999', dash: [6, 4], width: 1 },
  { label: 'linear pixels', color: '#e69f00', dash: [2, 3], width: 1 },
];

export function liveAcc(c: TrainerClient): (number | null)[][] {
  const e = c.evals;
  return overlay((['knnTrained', 'knnRandom', 'knnPixels', 'linTrained', 'linRandom', 'linPixels'] as const).map((k) => ({ step: e.step, value: e.cols[k] })), 100);
}
