/**
 * `npm run bench [-- <parts…>] [--quick]`: runs the benchmark parts, prints every figure with the machine
 * and backend it came from, and writes bench/results/<part>[-quick].json. Parts: train (Node: CPU and
 * WebGPU through Dawn, then training from the store against from memory, bench/stream.ts), browser
 * (Chromium: time to first step, throughput, long tasks), torch (the same model in PyTorch), soak (tensor
 * count and bytes across a long run), tsne, import, stream (the store-vs-memory figures alone). Default: all
 * but stream (train includes it).
 * Options: --seconds N (browser training time per backend, default 60, quick 5), --soak-steps N,
 * --first-minute (browser: only the first-minute figures, page open → ready → first point → MI +0.3 nats),
 * --backends auto,cpu (browser: only these; auto = the default page, first-minute figures only).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { validate, type PresetName } from '../src/lib/config';
import { makeEmbeddedDataset } from '../src/lib/data/synthetic';
import { TrainingRun } from '../src/lib/train/loop';
import { disposeStepCaches } from '../src/lib/train/step';

const root = fileURLToPath(new URL('..', import.meta.url));
const PARTS = ['train', 'browser', 'torch', 'soak', 'tsne', 'import', 'stream'] as const;
type Part = (typeof PARTS)[number];

function args() {
  const argv = process.argv.slice(2);
  const num = (k: string) => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const parts = argv.filter((a) => (PARTS as readonly string[]).includes(a)) as Part[];
  const unknown = argv.filter((a, i) => !a.startsWith('--') && !(PARTS as readonly string[]).includes(a) && !argv[i - 1]?.match(/^--(seconds|soak-steps|backends)$/));
  const b = argv.indexOf('--backends');
  const backends = b >= 0 ? argv[b + 1]?.split(',') : undefined;
  const known = ['auto', 'webgpu', 'webgl', 'cpu'];
  if (backends?.some((x) => !known.includes(x))) throw new Error(`bench: --backends takes a comma list of ${known.join(', ')}; got "${argv[b + 1]}"`);
  if (unknown.length) throw new Error(`bench: unknown part(s) ${unknown.join(', ')}; parts are ${PARTS.join(', ')}`);
  return { parts: parts.length ? parts : PARTS.filter((p) => p !== 'stream'), quick: argv.includes('--quick'), firstMinute: argv.includes('--first-minute'), seconds: num('seconds'), soakSteps: num('soak-steps'), backends };
}

/** Issue 7's soak: tensor count and bytes at the start and the end of a long tiny-preset run (CPU backend). */
async function soak(steps: number): Promise<Record<string, unknown>> {
  // Cached masks and indices may live on the WebGPU backend from the train part; a CPU read of them needs
  // OffscreenCanvas (missing in Node), so drop them and let the CPU backend rebuild its own.
  disposeStepCaches();
  await tf.setBackend('cpu');
  const cfg = validate({ backend: 'cpu' }, 'tiny');
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: cfg.trainCount, testCount: cfg.testCount, size: cfg.imageSize });
  const run = new TrainingRun(cfg, data);
  await run.trainSteps(10);
  const start = tf.memory();
  const t = performance.now();
  await run.trainSteps(steps - 10);
  const end = tf.memory();
  run.dispose();
  const r = { steps, seconds: (performance.now() - t) / 1000, start: { tensors: start.numTensors, bytes: start.numBytes }, end: { tensors: end.numTensors, bytes: end.numBytes } };
  console.log(`[soak · cpu] tiny, ${steps} steps: tensors ${r.start.tensors} → ${r.end.tensors}, bytes ${r.start.bytes} → ${r.end.bytes} (${r.seconds.toFixed(0)} s)`);
  return { soak: r };
}

/**
 * The same model and step in PyTorch: the twin (python/infomax_lab, its real Trainer.step with augmentation) on
 * 1 and 2 processes (DDP; Gloo on CPU, NCCL on GPUs, negatives gathered across ranks), if python3 with torch exists.
 */
function torch(quick: boolean): Record<string, unknown> {
  const py = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!py) {
    console.log('[torch] skipped: no python3 with torch (Debian: apt-get install python3-torch)');
    return { torch: { skipped: 'no python3 with torch' } };
  }
  const env = { ...process.env, PYTHONPATH: `${root}python` };
  const rows: Record<string, unknown> = {};
  for (const p of (quick ? ['tiny'] : ['tiny', 'demo']) as PresetName[]) {
    for (const nproc of [1, 2]) {
      const a = ['-m', 'infomax_lab.bench', '--preset', p, '--nproc', String(nproc), '--steps', String(p === 'tiny' ? 20 : 5), ...(nproc > 1 ? ['--gather-negatives'] : [])];
      const r = JSON.parse(execFileSync(py, a, { encoding: 'utf8', env }).trim().split('\n').pop()!);
      rows[`${p}-${nproc}proc`] = r;
      console.log(`[PyTorch twin ${r.torch} · ${r.gpu ?? r.device}, ${nproc} process(es) × ${r.threadsPerProcess} thread(s)] ${p}: ${r.imagesPerSec.toFixed(1)} images/s, ${r.stepsPerSec.toFixed(2)} steps/s`);
    }
  }
  return { torch: rows };
}

async function main(): Promise<void> {
  const a = args();
  mkdirSync(`${root}bench/results`, { recursive: true });
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, date: new Date().toISOString() };
  console.log(`# InfoMax Lab bench on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}${a.quick ? ', quick' : ''}; parts: ${a.parts.join(', ')}`);
  const all: Record<string, unknown> = { machine, quick: a.quick };
  for (const part of a.parts) {
    const t = performance.now();
    let r: Record<string, unknown>;
    try {
      if (part === 'train') {
        r = await (await import('./train')).default({ quick: a.quick });
        r = { ...r, ...(await (await import('./stream')).default({ quick: a.quick })) };
      }
      else if (part === 'browser') r = await (await import('./browser')).default({ quick: a.quick, seconds: a.seconds, firstMinuteOnly: a.firstMinute, backends: a.backends });
      else if (part === 'torch') r = torch(a.quick);
      else if (part === 'soak') r = await soak(a.soakSteps ?? (a.quick ? 100 : a.parts.length === 1 ? 2000 : 300));
      else if (part === 'tsne') r = await (await import('./tsne')).default({ quick: a.quick });
      else if (part === 'stream') r = await (await import('./stream')).default({ quick: a.quick });
      else if (!existsSync(`${root}bench/import.ts`)) r = { skipped: 'bench/import.ts missing' };
      else r = await (await import('./import')).default({ quick: a.quick });
    } catch (e) {
      console.log(`[${part}] failed: ${(e as Error).message}`);
      r = { error: (e as Error).message };
    }
    all[part] = r;
    if (part === 'browser' && a.firstMinute) {
      // The first-minute figures go to their own file, merged per backend with earlier runs (one exclusive
      // hold of the machine per backend keeps each run short); each backend's row has its date and load.
      const file = `${root}bench/results/browser-first-minute${a.quick ? '-quick' : ''}.json`;
      const old = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { browser?: { firstMinute?: Record<string, unknown> } }) : {};
      const fm = { ...(old.browser?.firstMinute ?? {}), ...((r.browser as { firstMinute?: Record<string, unknown> } | undefined)?.firstMinute ?? {}) };
      writeFileSync(file, JSON.stringify({ machine, ...r, browser: { ...(r.browser as object), firstMinute: fm } }, null, 2));
    } else writeFileSync(`${root}bench/results/${part}${a.quick ? '-quick' : ''}.json`, JSON.stringify({ machine, ...r }, null, 2));
    console.log(`# ${part}: ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  writeFileSync(`${root}bench/results/latest${a.quick ? '-quick' : ''}.json`, JSON.stringify(all, null, 2));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
