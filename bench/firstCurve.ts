/**
 * `npx tsx bench/firstCurve.ts [--seconds 90] [--<config key> value …]`: how far the MI curve gets in the first
 * seconds of training at the default page's data, headless on the CPU backend (the backend the default page
 * picks on a CPU-only machine). Trains the real TrainingRun for a wall-clock budget and prints, per
 * 10-second window, the steps done and the mean image-level bound and NCE estimate (three pairs), so
 * candidate defaults (batch, lr, warm-up, augmentation, dataset size) can be compared in nats per second,
 * not per step. Held-out evaluations run where the page's training loop runs them (evalSchedule.ts, from
 * embedEvery and evalPace; `--evalPace every` is the schedule before issue 12), and each one's time is
 * printed. JSON with --json <file>.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { validate, type Config } from '../src/lib/config';
import { makeEmbeddedDataset } from '../src/lib/data/synthetic';
import { TrainingRun, ceilings } from '../src/lib/train/loop';
import { evaluationDue } from '../src/lib/train/evalSchedule';
import type { MetricPoint } from '../src/lib/train/types';

const argv = process.argv.slice(2);
const opt = (k: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const seconds = Number(opt('seconds') ?? 90);
const json = opt('json');
const overrides: Record<string, unknown> = {};
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (['seconds', 'json'].includes(k)) continue;
  const v = argv[i + 1];
  overrides[k] = /^-?[\d.e-]+$/.test(v) ? Number(v) : v;
}
// The default page at the calibrated tiny size: DEFAULTS with the size keys of the tiny rung.
const cfg: Config = validate({ ndf: 8, nRkhs: 32, nDepth: 1, batchSize: 4, backend: 'cpu', ...overrides });
await tf.setBackend('cpu');
const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: cfg.imageSize });
const pts: (MetricPoint & { wall: number })[] = [];
const t0 = performance.now();
const run = new TrainingRun(cfg, data, { onMetrics: (p) => pts.push(...p.map((x) => ({ ...x, wall: (performance.now() - t0) / 1000 }))) });
const evals: { step: number; atSec: number; sec: number }[] = [];
while ((performance.now() - t0) / 1000 < seconds) {
  await run.trainSteps(Math.min(cfg.logEvery, cfg.embedEvery - (run.step % cfg.embedEvery)));
  const last = evals.at(-1);
  if (evaluationDue(run.step, cfg, run.time, last ? { sinceSec: (performance.now() - t0) / 1000 - last.atSec - last.sec, costSec: last.sec } : null)) {
    const t = performance.now();
    await run.evaluate();
    evals.push({ step: run.step, atSec: (t - t0) / 1000, sec: (performance.now() - t) / 1000 });
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const rows: { until: number; steps: number; bound: number; nce: number }[] = [];
for (let w = 10; w <= Math.ceil(seconds); w += 10) {
  const win = pts.filter((p) => p.wall > w - 10 && p.wall <= w);
  if (!win.length) continue;
  rows.push({ until: w, steps: win.at(-1)!.step + 1, bound: mean(win.map((p) => (p.bound1t5 + p.bound1t7 + p.bound5t5) / 3)), nce: mean(win.map((p) => (p.nceEst1t5 + p.nceEst1t7 + p.nceEst5t5) / 3)) });
}
const desc = Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
console.log(`# ${desc}: batch ${cfg.batchSize} (ceiling log B ${ceilings(cfg.batchSize).bound.toFixed(2)}), ${run.step} steps in ${seconds} s`);
for (const e of evals) console.log(`# evaluation at step ${e.step} (${e.atSec.toFixed(0)} s in): ${e.sec.toFixed(1)} s, training stood still`);
for (const r of rows) console.log(`${String(r.until).padStart(4)} s  step ${String(r.steps).padStart(4)}  bound ${r.bound.toFixed(3)}  nce ${r.nce.toFixed(3)}`);
if (json) writeFileSync(json, JSON.stringify({ overrides, seconds, steps: run.step, evals, rows }, null, 1));
run.dispose();
