/**
 * Headless training in Node, reusing the app's training core unchanged:
 *   npm run train -- --preset tiny --steps 50 [--backend cpu|webgpu|auto] [--every 5] [--labels all|none|one] [--json out.json] [--<config key> value]
 *     [--record static/reference/<name>.json]
 * --labels none trains on the embedded images as a flat folder (no labels), one as a single-class folder:
 * scores that need two classes are then reported as skipped, not as numbers.
 * Prints one line every --every steps: step, loss, image-level InfoNCE lower bound and AMDIM's NCE estimate
 * per pair, online probe accuracy, steps/s; then the held-out accuracy of the trained encoder, a random
 * encoder and raw pixels by the same two classifiers. --json writes the curves and the final evaluation.
 * --record writes the run's MI curves (window means), config, machine and date as a reference run that the
 * page overlays faintly under the live curves.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { validate } from '../src/lib/config';
import { makeEmbeddedDataset } from '../src/lib/data/synthetic';
import { noLabelsReason, relabel } from '../src/lib/data/dataset';
import { smallHeldOutWarning } from '../src/lib/train/scoreMargin';
import { selectBackend } from '../src/lib/train/backend';
import { TrainingRun, ceilings } from '../src/lib/train/loop';
import { makeReference } from '../src/lib/train/reference';
import type { MetricPoint } from '../src/lib/worker/protocol';
import { parseArgs } from './args';
import { installNodeWebGpu } from './node-gpu';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['every', 'labels', 'record', 'json']);
  const labelMode = args.extra.labels ?? 'all';
  if (!['all', 'none', 'one'].includes(labelMode)) throw new Error(`--labels must be all, none or one, got "${labelMode}"`);
  const backendFlag = (args.overrides.backend as string | undefined) ?? 'auto';
  // In Node, 'auto' means: a hardware GPU through Dawn if there is one, else the CPU backend.
  const overrides = { ...args.overrides, backend: backendFlag === 'webgl' ? 'cpu' : backendFlag };
  const cfg = validate(overrides, args.preset ?? 'tiny');
  const every = Number(args.extra.every ?? Math.max(1, Math.round((cfg.steps || 50) / 10)));
  if (cfg.backend !== 'cpu') {
    const g = await installNodeWebGpu({ allowSoftware: cfg.backend === 'webgpu' });
    if (!g.ok) console.log(`# ${g.note}; using the CPU backend`);
  }
  const backend = await selectBackend(navigatorHasGpu() ? cfg.backend : 'cpu');
  const steps = cfg.steps || 50;
  console.log(`# InfoMax Lab headless training: backend ${backend.name} (${backend.adapter})`);
  console.log(`# ndf ${cfg.ndf}, n_rkhs ${cfg.nRkhs}, depth ${cfg.nDepth}, batch ${cfg.batchSize}, ${cfg.imageSize}px, seed ${cfg.seed}, ${steps} steps`);
  const c = ceilings(cfg.batchSize);
  console.log(`# ceilings (nats): lower bound log B ${c.bound.toFixed(2)}; NCE estimate log K 1→5 ${c['1t5'].toFixed(2)}, 1→7 ${c['1t7'].toFixed(2)}, 5→5 ${c['5t5'].toFixed(2)}`);
  console.log('# "bound" is the image-level InfoNCE lower bound on I(view a; view b); "NCE est" is AMDIM\'s log K − L, not a bound.');
  const embedded = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: cfg.imageSize });
  const data = labelMode === 'all' ? embedded : relabel(embedded, labelMode as 'none' | 'one');
  const window: MetricPoint[] = [];
  const run = new TrainingRun(cfg, data, { onMetrics: (pts) => window.push(...pts) });
  if (cfg.method === 'dim')
    console.log(`# Deep InfoMax (${cfg.dimMode}, ${cfg.dimEstimator}): its loss, bound and ${cfg.dimEstimator} estimate are in the 1→7 columns${cfg.dimEstimator === 'jsd' ? ' (JSD tracks MI but is not in nats)' : ''}`);
  console.log('  step |   L1→5   L1→7   L5→5 | bound 1→5 1→7 5→5 (nats) | NCE est 1→5 1→7 5→5 | online probe | steps/s   (means since the previous line)');
  let printed = 0;
  // Each line is the mean over the steps since the previous line: single small batches are noisy.
  const flush = () => {
    if (!window.length) return;
    const keys = ['loss1t5', 'loss1t7', 'loss5t5', 'bound1t5', 'bound1t7', 'bound5t5', 'nceEst1t5', 'nceEst1t7', 'nceEst5t5', 'probeAcc'] as const;
    const mean = Object.fromEntries(keys.map((k) => [k, window.reduce((s, p) => s + p[k], 0) / window.length])) as Record<(typeof keys)[number], number>;
    const last = window[window.length - 1];
    window.length = 0;
    printed++;
    const f = (v: number) => v.toFixed(3).padStart(6);
    console.log(
      `${String(last.step).padStart(6)} | ${f(mean.loss1t5)} ${f(mean.loss1t7)} ${f(mean.loss5t5)} | ${f(mean.bound1t5)} ${f(mean.bound1t7)} ${f(mean.bound5t5)}        | ${f(mean.nceEst1t5)} ${f(mean.nceEst1t7)} ${f(mean.nceEst5t5)} | ${(Number.isFinite(mean.probeAcc) ? (mean.probeAcc * 100).toFixed(1) + '%' : 'no labels').padStart(12)} | ${last.stepsPerSec.toFixed(2)}`,
    );
  };
  while (run.step < steps) {
    await run.trainSteps(Math.min(every, steps - run.step));
    flush();
  }
  const t0 = performance.now();
  const { point, snapshot } = await run.evaluate();
  const evalSec = (performance.now() - t0) / 1000;
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–').padStart(8);
  const noLabels = noLabelsReason(data.classNames);
  if (noLabels) console.log(`# held-out (${snapshot.n} images): ${noLabels}; kNN and linear accuracy need two classes and were skipped`);
  else if (point.heldOut > 0) {
    console.log(`# held-out accuracy on ${point.heldOut} labelled held-out images; the classifiers use ${point.trainUsed} labelled training images (${evalSec.toFixed(1)} s):`);
    console.log(`#                    kNN (k=${point.knnK}, cosine)   linear (fitted softmax)`);
    console.log(`#   trained encoder   ${pct(point.knnTrained)}            ${pct(point.linTrained)}`);
    console.log(`#   random encoder    ${pct(point.knnRandom)}            ${pct(point.linRandom)}`);
    console.log(`#   raw pixels        ${pct(point.knnPixels)}            ${pct(point.linPixels)}`);
    console.log(`# features standardised on the training images; softmax by L-BFGS, L2 chosen on a fifth of them from 1, 0.1, 0.01, 0.001; all three fits converged (max |gradient| ≤ 1e-4): ${point.linConverged === 1 ? 'yes' : 'NO'}`);
    console.log(`# online probe (a live training signal, trained on augmented batches; not comparable with the fitted numbers): ${pct(point.probeOnline).trim()}`);
  }
  if (args.extra.json) {
    writeFileSync(args.extra.json, JSON.stringify({ config: cfg, backend: backend.name, ceilings: c, history: run.history, eval: point }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
    console.log(`# wrote ${args.extra.json}`);
  }
  const small = smallHeldOutWarning(snapshot.n);
  if (small) console.log(`# warning: ${small}`);
  console.log(`# ${printed} lines, tensors alive: ${tf.memory().numTensors}`);
  if (args.extra.record) {
    const file = args.extra.record;
    const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}`;
    const command = `npm run train -- ${process.argv.slice(2).join(' ')}`;
    const ref = makeReference(cfg, run.history, point, { command, machine, backend: `${backend.name} (${backend.adapter})`, date: new Date().toISOString().slice(0, 10) });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(ref));
    console.log(`# reference run written to ${file} (${ref.step.length} points)`);
  }
  run.dispose();
}

function navigatorHasGpu(): boolean {
  return !!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
}

main().catch((e) => {
  console.error(`train: ${(e as Error).message}`);
  process.exit(1);
});
