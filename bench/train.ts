/**
 * Training benchmark in Node (tfjs CPU backend, and WebGPU through Dawn: Vulkan, or OpenGL ES without it),
 * reusing the real step (createTrainer) and the real loop (TrainingRun), never a copy. For each backend:
 * the large-matmul rate, throughput of tiny/demo (/paper) with the baseline and fast implementations,
 * efficiency (useful FLOP/s ÷ matmul FLOP/s), a per-kernel profile, GPU→CPU reads and bytes uploaded per
 * step, naive per-step read-back against the loop's batched asynchronous read-back, time to first step
 * (cold, warm) and scaling with batch and image size. Every time is a median of several runs.
 * Run alone: `npx tsx bench/train.ts [--quick] [--backends cpu,webgpu] [--presets tiny,demo] [--out f.json]`.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { validate, type Config, type PresetName } from '../src/lib/config';
import { makeEmbeddedDataset } from '../src/lib/data/synthetic';
import type { StepImpl } from '../src/lib/config';
import { Rng } from '../src/lib/rng';
import { selectBackend } from '../src/lib/train/backend';
import { TrainingRun } from '../src/lib/train/loop';
import { createTrainer, disposeStepCaches, disposeStepOutput, STEP_KEYS } from '../src/lib/train/step';
import { stepFlops } from './flops';
import { installGpu } from './nodeGpu';

export interface TrainBenchOptions {
  quick: boolean;
  backends?: ('cpu' | 'webgpu')[];
  presets?: PresetName[];
  /** Allow a software (SwiftShader) WebGPU adapter. */
  allowSoftware?: boolean;
  /** Called with the partial result after every section (the GPU run saves as it goes). */
  onProgress?: (partial: Record<string, unknown>) => void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => performance.now();

/**
 * Wraps the backend's entry points to count GPU→CPU reads, uploads from JS (a write with values; a kernel's
 * output is also registered through write, without values, and is not an upload) and GPU dispatches.
 */
function counters() {
  const b = tf.backend() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const c = { reads: 0, readSyncs: 0, uploads: 0, uploadBytes: 0, dispatches: 0 };
  const orig = { read: b.read, readSync: b.readSync, write: b.write, runWebGPUProgram: b.runWebGPUProgram };
  b.read = function (...a) { c.reads++; return orig.read.apply(this, a); };
  b.readSync = function (...a) { c.readSyncs++; return orig.readSync.apply(this, a); };
  b.write = function (...a) {
    const v = a[0] as { byteLength?: number; length?: number } | null;
    if (v != null) {
      c.uploads++;
      c.uploadBytes += v.byteLength ?? (v.length ?? 0) * 4;
    }
    return orig.write.apply(this, a);
  };
  if (orig.runWebGPUProgram)
    b.runWebGPUProgram = function (...a) { c.dispatches++; return orig.runWebGPUProgram.apply(this, a); };
  return { c, restore: () => Object.assign(b, orig) };
}

/** FLOP/s of an N×N by N×N matmul, the device's practical peak for tfjs. */
async function matmulRate(n: number, reps: number): Promise<number> {
  const rng = new Rng(1);
  const mk = () => tf.tensor2d(Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1)), [n, n]);
  const a = mk(), b = mk();
  const once = async (r: number) => {
    const t = now();
    let c: tf.Tensor | null = null;
    for (let i = 0; i < r; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    await c!.data();
    c!.dispose();
    return (now() - t) / 1000;
  };
  await once(1);
  const secs = median([await once(reps), await once(reps), await once(reps)]);
  tf.dispose([a, b]);
  return (2 * n ** 3 * reps) / secs;
}

function views(cfg: Config): { xa: tf.Tensor4D; xb: tf.Tensor4D; labels: tf.Tensor1D } {
  const rng = new Rng(cfg.seed);
  const B = cfg.batchSize, S = cfg.imageSize;
  const img = () => tf.tensor4d(Float32Array.from({ length: B * S * S * 3 }, () => rng.next()), [B, S, S, 3]);
  return { xa: img(), xb: img(), labels: tf.tensor1d(Int32Array.from({ length: B }, (_, i) => i % 10), 'int32') };
}

/**
 * Times `n` steps of a trainer on fixed inputs; 'sync' awaits every metric every step. Seconds per step, and
 * hostSec: seconds per step spent inside step() calls (on a GPU, the JavaScript cost of issuing a step).
 */
async function timeSteps(tr: ReturnType<typeof createTrainer>, v: ReturnType<typeof views>, n: number, readback: 'end' | 'sync'): Promise<{ sec: number; hostSec: number }> {
  const t = now();
  let host = 0;
  let last: ReturnType<typeof tr.step> | null = null;
  for (let i = 0; i < n; i++) {
    const h = now();
    const out = tr.step(v.xa, v.xb, v.labels);
    host += now() - h;
    if (readback === 'sync') {
      for (const k of STEP_KEYS) await out[k].data();
      disposeStepOutput(out);
    } else {
      if (last) disposeStepOutput(last);
      last = out;
    }
  }
  if (last) {
    await last.total.data();
    disposeStepOutput(last);
  }
  return { sec: (now() - t) / 1000 / n, hostSec: host / 1000 / n };
}

/** Median seconds per step of the bare step on fixed inputs. 'sync' awaits every metric every step. */
async function stepTime(cfg: Config, impl: StepImpl, steps: number, readback: 'end' | 'sync', reps = 3): Promise<{ sec: number; firstStepSec: number }> {
  const tr = createTrainer(cfg, 10, new Rng(cfg.seed), { impl });
  const v = views(cfg);
  const firstStepSec = (await timeSteps(tr, v, 1, readback)).sec; // includes shader compilation on GPU backends
  if (reps > 1) await timeSteps(tr, v, 1, readback);
  const times = [];
  for (let r = 0; r < reps; r++) times.push((await timeSteps(tr, v, steps, readback)).sec);
  tr.dispose();
  tf.dispose(Object.values(v));
  return { sec: median(times), firstStepSec };
}

/**
 * Baseline and fast step side by side: both trainers built, then their timed runs alternate (b, f, b, f…),
 * so a noisy neighbour slows both alike; medians per implementation, and the median of the per-round ratios.
 */
async function compareImpls(cfg: Config, steps: number, reps: number) {
  const v = views(cfg);
  const impls = ['baseline', 'fast'] as const;
  const res = {} as Record<StepImpl, { sec: number; hostSec: number; firstStepSec: number }>;
  const times: Record<StepImpl, number[]> = { baseline: [], fast: [] };
  const host: Record<StepImpl, number[]> = { baseline: [], fast: [] };
  const trainers = {} as Record<StepImpl, ReturnType<typeof createTrainer>>;
  try {
    for (const impl of impls) {
      trainers[impl] = createTrainer(cfg, 10, new Rng(cfg.seed), { impl });
      res[impl] = { sec: 0, hostSec: 0, firstStepSec: (await timeSteps(trainers[impl], v, 1, 'end')).sec };
    }
    for (const impl of impls) await timeSteps(trainers[impl], v, 1, 'end');
    for (let r = 0; r < reps; r++)
      for (const impl of r % 2 ? [...impls].reverse() : impls) {
        const r = await timeSteps(trainers[impl], v, steps, 'end');
        times[impl].push(r.sec);
        host[impl].push(r.hostSec);
      }
  } finally {
    for (const t of Object.values(trainers)) t.dispose();
    tf.dispose(Object.values(v));
  }
  for (const impl of impls) [res[impl].sec, res[impl].hostSec] = [median(times[impl]), median(host[impl])];
  const speedup = median(times.baseline.map((b, i) => b / times.fast[i]));
  const hostSpeedup = median(host.baseline.map((b, i) => b / host.fast[i]));
  return { ...res, speedup, hostSpeedup };
}

/** Both implementations' metrics after two steps from the same seed on this backend (they must agree). */
async function agreement(cfg: Config): Promise<number> {
  const v = views(cfg);
  const vals: number[][] = [];
  for (const impl of ['baseline', 'fast'] as const) {
    const tr = createTrainer(cfg, 10, new Rng(cfg.seed), { impl });
    const src: [number[], number[]] = [Array.from({ length: cfg.batchSize }, (_, i) => i % 25), Array.from({ length: cfg.batchSize }, (_, i) => (3 * i) % 25)];
    disposeStepOutput(tr.step(v.xa, v.xb, v.labels, src));
    const out = tr.step(v.xa, v.xb, v.labels, src);
    const row: number[] = [];
    for (const k of STEP_KEYS) row.push((await out[k].data())[0]);
    disposeStepOutput(out);
    vals.push(row);
    tr.dispose();
  }
  tf.dispose(Object.values(v));
  return Math.max(...vals[0].map((x, i) => Math.abs(x - vals[1][i])));
}

/** Per-kernel time and count for one step (after warm-up), plus the dispatch count. */
async function profileStep(cfg: Config, impl: StepImpl) {
  const tr = createTrainer(cfg, 10, new Rng(cfg.seed), { impl });
  const v = views(cfg);
  for (let i = 0; i < 2; i++) {
    const o = tr.step(v.xa, v.xb, v.labels);
    await o.total.data();
    disposeStepOutput(o);
  }
  const { c, restore } = counters();
  const info = await tf.profile(async () => {
    const o = tr.step(v.xa, v.xb, v.labels);
    await o.total.data();
    disposeStepOutput(o);
  });
  restore();
  const byKernel = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, e);
  }
  const kernels = [...byKernel.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms || b.count - a.count);
  tr.dispose();
  tf.dispose(Object.values(v));
  // GPU dispatches: kernels that launched a shader (Reshape, Identity, same-type Cast only relabel a buffer)
  // (on the CPU backend every kernel output is written with values: no uploads or dispatches to count)
  const gpu = tf.getBackend() === 'webgpu';
  return { kernelsPerStep: info.kernels.length, dispatchesPerStep: gpu ? c.dispatches : null, uploadsPerStep: gpu ? c.uploads : null, totalKernelMs: kernels.reduce((s, k) => s + k.ms, 0), top: kernels.slice(0, 12) };
}

/** The real loop: batched asynchronous read-back vs a full sync every step (trainSteps(1) drains). */
async function loopThroughput(cfg: Config, steps: number) {
  const data = makeEmbeddedDataset({ seed: cfg.seed, trainCount: Math.max(cfg.batchSize * 4, 64), testCount: 16, size: cfg.imageSize });
  const res: Record<string, unknown> = {};
  for (const mode of ['naive', 'async'] as const) {
    const run = new TrainingRun({ ...cfg, trainCount: data.train.count }, data);
    const t0 = now();
    await run.trainSteps(1);
    const first = (now() - t0) / 1000;
    await run.trainSteps(2);
    const { c, restore } = counters();
    const t = now();
    if (mode === 'naive') for (let i = 0; i < steps; i++) await run.trainSteps(1);
    else await run.trainSteps(steps);
    const sec = (now() - t) / 1000 / steps;
    restore();
    run.dispose();
    const gpu = tf.getBackend() === 'webgpu'; // the CPU backend writes every kernel output: not uploads
    res[mode] = {
      stepsPerSec: 1 / sec,
      imagesPerSec: cfg.batchSize / sec,
      readsPerStep: (c.reads + c.readSyncs) / steps,
      uploadsPerStep: gpu ? c.uploads / steps : null,
      bytesUploadedPerStep: gpu ? c.uploadBytes / steps : null,
      dispatchesPerStep: gpu ? c.dispatches / steps : null,
      firstStepSec: first,
    };
  }
  return res;
}

function backendOf(name: 'cpu' | 'webgpu') {
  return name;
}

export default async function bench(opts: TrainBenchOptions): Promise<Record<string, unknown>> {
  const q = opts.quick;
  const out: Record<string, unknown> = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    tfjs: tf.version.tfjs,
    backends: {} as Record<string, unknown>,
  };
  const save = () => opts.onProgress?.(out);
  for (const want of opts.backends ?? ['cpu', 'webgpu']) {
    const B: Record<string, unknown> = {};
    (out.backends as Record<string, unknown>)[want] = B;
    if (want === 'webgpu') {
      const g = await installGpu({ allowSoftware: opts.allowSoftware ?? true });
      if (!g.ok) {
        B.skipped = g.note;
        console.log(`train bench: webgpu skipped: ${g.note}`);
        continue;
      }
      B.dawn = g.note;
    }
    disposeStepCaches();
    const info = await selectBackend(backendOf(want));
    if (info.name !== want) {
      B.skipped = `got ${info.name} instead (${info.notes.join('; ')})`;
      continue;
    }
    const software = /swiftshader|llvmpipe|JavaScript/i.test(info.adapter) || want === 'cpu';
    B.adapter = info.adapter;
    const tag = `[${want} · ${info.adapter}]`;
    const slow = software; // CPU and CPU-emulated GPUs get small step counts
    const mmN = slow ? (q ? 256 : 512) : 2048;
    const mm = await matmulRate(mmN, slow ? 2 : 20);
    B.matmul = { n: mmN, gflops: mm / 1e9 };
    console.log(`${tag} matmul ${mmN}×${mmN}: ${(mm / 1e9).toFixed(2)} GFLOP/s`);
    try {
      B.fastVsBaselineMaxDiff = await agreement(validate({}, 'tiny'));
      console.log(`${tag} fast vs baseline, tiny, metrics after 2 steps: max |Δ| ${(B.fastVsBaselineMaxDiff as number).toExponential(2)}`);
    } catch (e) {
      B.fastVsBaselineMaxDiff = `failed: ${(e as Error).message}`;
    }
    save();

    // A demo step takes tens of seconds on the CPU and on SwiftShader: full runs only, one timed step.
    // SwiftShader WebGPU needs minutes per demo step: tiny only there.
    const emulatedGpu = want === 'webgpu' && software;
    const presets = opts.presets ?? (slow ? (q || emulatedGpu ? ['tiny'] : ['tiny', 'demo']) : ['tiny', 'demo', 'paper']);
    const thr: Record<string, unknown> = {};
    B.throughput = thr;
    for (const p of presets) {
      const cfg = validate({}, p);
      const heavy = p === 'paper' || (slow && p === 'demo');
      const steps = q ? (heavy ? 1 : 3) : heavy ? (slow ? 1 : 3) : slow ? 5 : 20;
      const flops = stepFlops(cfg);
      const row: Record<string, unknown> = { batch: cfg.batchSize, imageSize: cfg.imageSize, ndf: cfg.ndf, nRkhs: cfg.nRkhs, gflopPerStep: flops.total / 1e9 };
      thr[p] = row;
      try {
        const cmp = await compareImpls(cfg, steps, heavy ? (q ? 1 : 2) : q ? 3 : 5);
        for (const impl of ['baseline', 'fast'] as const) {
          const r = cmp[impl];
          const eff = flops.total / r.sec / mm;
          // On a GPU the step call returns once every kernel is queued: that host time bounds steps/s on any
          // GPU fast enough to keep up (tiny on a real GPU); on the CPU backend it is the whole step.
          const hostMs = want === 'webgpu' ? r.hostSec * 1000 : undefined;
          row[impl] = { stepsPerSec: 1 / r.sec, imagesPerSec: cfg.batchSize / r.sec, msPerStep: r.sec * 1000, hostMsPerStep: hostMs, efficiency: eff, firstStepSec: r.firstStepSec };
          console.log(
            `${tag} ${p} ${impl.padEnd(8)}: ${(cfg.batchSize / r.sec).toFixed(1)} images/s, ${(1 / r.sec).toFixed(2)} steps/s, efficiency ${eff.toFixed(3)} of matmul` +
              (hostMs === undefined ? '' : `, host ${hostMs.toFixed(1)} ms/step (ceiling ${(cfg.batchSize / r.hostSec).toFixed(0)} images/s)`) +
              ` (first step ${r.firstStepSec.toFixed(2)} s)`,
          );
        }
        row.speedup = cmp.speedup;
        if (want === 'webgpu') row.hostSpeedup = cmp.hostSpeedup;
        console.log(`${tag} ${p} fast ÷ baseline: ${cmp.speedup.toFixed(2)}× images/s` + (want === 'webgpu' ? `, ${cmp.hostSpeedup.toFixed(2)}× host time` : '') + ' (median of alternating rounds)');
      } catch (e) {
        row.error = (e as Error).message;
        console.log(`${tag} ${p}: failed: ${(e as Error).message}`);
      }
      save();
    }

    // Read-back: awaiting every metric every step vs reading once at the end (same fast step).
    const rbCfg = validate({}, slow ? 'tiny' : 'demo');
    const rbSteps = q ? 3 : slow ? 6 : 20;
    const sync = await stepTime(rbCfg, 'fast', rbSteps, 'sync');
    const asyncT = await stepTime(rbCfg, 'fast', rbSteps, 'end');
    B.readback = { preset: slow ? 'tiny' : 'demo', syncPerStepMs: sync.sec * 1000, batchedMs: asyncT.sec * 1000 };
    console.log(`${tag} read-back (${slow ? 'tiny' : 'demo'}): await every metric each step ${(sync.sec * 1000).toFixed(1)} ms/step, batched ${(asyncT.sec * 1000).toFixed(1)} ms/step`);
    save();

    // Where the time goes (one step, after warm-up).
    const prof: Record<string, unknown> = {};
    B.profile = prof;
    for (const impl of ['baseline', 'fast'] as const) {
      try {
        const p = await profileStep(rbCfg, impl);
        prof[impl] = p;
        console.log(`${tag} profile ${slow ? 'tiny' : 'demo'} ${impl}: ${p.kernelsPerStep} kernels/step${p.dispatchesPerStep === null ? '' : ` (${p.dispatchesPerStep} GPU dispatches, ${p.uploadsPerStep} uploads)`}, kernel time ${p.totalKernelMs.toFixed(1)} ms; top: ${p.top.slice(0, 5).map((k) => `${k.name} ${k.ms.toFixed(1)} ms ×${k.count}`).join(', ')}`);
      } catch (e) {
        prof[impl] = { error: (e as Error).message };
      }
    }
    save();

    // The real loop: time to first step, reads and uploads per step, naive vs batched read-back.
    const loop = await loopThroughput(rbCfg, rbSteps);
    B.loop = loop;
    const ln = loop.naive as Record<string, number>, la = loop.async as Record<string, number>;
    console.log(
      `${tag} TrainingRun: naive sync ${ln.imagesPerSec.toFixed(1)} images/s (${ln.readsPerStep.toFixed(1)} reads/step), batched async ${la.imagesPerSec.toFixed(1)} images/s (${la.readsPerStep.toFixed(2)} reads/step), ` +
        (la.uploadsPerStep === null ? '' : `${la.dispatchesPerStep.toFixed(0)} dispatches, ${la.uploadsPerStep.toFixed(1)} uploads / ${(la.bytesUploadedPerStep / 1024).toFixed(1)} KiB per step; `) +
        `first step cold ${ln.firstStepSec.toFixed(2)} s, warm ${la.firstStepSec.toFixed(2)} s`,
    );
    save();

    // Scaling: step time against batch and image size (fast step).
    const scale: { batch: number; imageSize: number; msPerStep: number; msPerImage: number }[] = [];
    B.scaling = { preset: slow ? 'tiny' : 'demo', rows: scale };
    const batches = q ? [8, 16] : [8, 16, 32, 64];
    const sizes: (32 | 64)[] = q ? [32] : [32, 64];
    for (const imageSize of sizes)
      for (const batchSize of batches) {
        const cfg = validate({ batchSize, imageSize }, slow ? 'tiny' : 'demo');
        const r = await stepTime(cfg, 'fast', slow ? 2 : 10, 'end', slow ? 1 : 3);
        scale.push({ batch: batchSize, imageSize, msPerStep: r.sec * 1000, msPerImage: (r.sec * 1000) / batchSize });
        save();
      }
    console.log(`${tag} scaling (ms/step): ${scale.map((s) => `B${s.batch}@${s.imageSize}px ${s.msPerStep.toFixed(1)}`).join(', ')}`);
  }
  return out;
}

// Only when run as this file (not when bundled into bench/gpu/entry.ts, where import.meta.url is the bundle's).
if (process.argv[1]?.endsWith('train.ts') && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (k: string) => {
    const i = process.argv.indexOf(`--${k}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const outFile = arg('out');
  const write = async (r: Record<string, unknown>) => {
    if (outFile) (await import('node:fs')).writeFileSync(outFile, JSON.stringify(r, null, 2));
  };
  bench({
    quick: process.argv.includes('--quick'),
    backends: arg('backends')?.split(',') as ('cpu' | 'webgpu')[] | undefined,
    presets: arg('presets')?.split(',') as PresetName[] | undefined,
    allowSoftware: !process.argv.includes('--hardware-only'),
    onProgress: (r) => void write(r),
  })
    .then(write)
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
