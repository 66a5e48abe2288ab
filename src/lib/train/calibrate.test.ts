import { describe, expect, it } from 'vitest';
import { PRESETS, validate } from '../config';
import { LADDER, SIZE_KEYS, applyChoice, autoFromHash, cacheKey, calibrate, fromCache, isSoftwareAdapter, planBackends, type BackendName, type Candidate, type Rung } from './calibrate';

/**
 * A fake device: each backend has a compile time and a speed; a rung's step costs its relative work
 * (ndf² · batch, roughly the conv cost) divided by the speed. The clock advances by what a measurement
 * would take (the compiling step plus five timed steps), so budgets are exercised for real.
 */
function fakeDevice(speed: Partial<Record<BackendName, { perSec: number; compileMs: number; fails?: boolean }>>) {
  let clock = 0;
  const calls: string[] = [];
  const work = (r: Rung) => (r.ndf / 8) ** 2 * (r.batchSize / 4) * r.nDepth; // the same as calibrate.work, up to a factor
  const measure = async (b: BackendName, r: Rung) => {
    calls.push(`${b}:${r.name}`);
    const s = speed[b]!;
    if (s.fails) throw new Error(`${b} blew up`);
    const sps = s.perSec / work(r);
    clock += s.compileMs + (5 / sps) * 1000;
    return { stepsPerSec: sps, warmMs: s.compileMs };
  };
  return { measure, now: () => clock, calls, work };
}

const cpu: Candidate = { name: 'cpu', adapter: 'JavaScript', software: false };
const swGpu: Candidate = { name: 'webgpu', adapter: 'Google · SwiftShader', software: true };
const swGl: Candidate = { name: 'webgl', adapter: 'ANGLE (SwiftShader)', software: true };
const hwGpu: Candidate = { name: 'webgpu', adapter: 'NVIDIA RTX', software: false };
const hwGl: Candidate = { name: 'webgl', adapter: 'ANGLE (NVIDIA)', software: false };

/** The slow, obvious answer: the largest rung (in ladder order, stopping at the first miss) at or above target. */
function expectedRung(sps: (r: Rung) => number, target: number): string {
  let best = LADDER[0].name;
  for (const r of LADDER) {
    if (sps(r) < target) break;
    best = r.name;
  }
  return best;
}

describe('calibrate', () => {
  it('prefers the fastest measured backend, not the first in the fallback order', async () => {
    const d = fakeDevice({ webgpu: { perSec: 40, compileMs: 500 }, webgl: { perSec: 120, compileMs: 500 }, cpu: { perSec: 4, compileMs: 0 } });
    const c = await calibrate({ candidates: [hwGpu, hwGl, cpu], measure: d.measure, now: d.now, budgetMs: 1e9 });
    expect(c.backend).toBe('webgl');
    expect(c.rung.name).toBe(expectedRung((r) => 120 / d.work(r), 3));
    expect(c.stepsPerSec).toBeGreaterThanOrEqual(3);
    // The CPU is not worth timing once a hardware GPU keeps the target.
    expect(d.calls).not.toContain('cpu:tiny');
  });

  it('climbs to the largest size that keeps the target, for several speeds', async () => {
    for (const perSec of [2, 3.5, 13, 40, 200, 5000, 1e6]) {
      const d = fakeDevice({ cpu: { perSec, compileMs: 0 } });
      const c = await calibrate({ candidates: [cpu], measure: d.measure, now: d.now, budgetMs: 1e9 });
      expect(c.rung.name, `perSec ${perSec}`).toBe(expectedRung((r) => perSec / d.work(r), 3));
      // It stops at the first rung below target: never measures two misses.
      const misses = c.measurements.filter((m) => m.stepsPerSec < 3).length;
      expect(misses).toBeLessThanOrEqual(1);
    }
  });

  it('never measures a software WebGPU adapter when something else exists, and says so', async () => {
    const d = fakeDevice({ webgpu: { perSec: 1, compileMs: 50_000 }, webgl: { perSec: 3.8, compileMs: 8000 }, cpu: { perSec: 4, compileMs: 0 } });
    const c = await calibrate({ candidates: [swGpu, swGl, cpu], measure: d.measure, now: d.now, budgetMs: 1e9 });
    expect(d.calls.some((s) => s.startsWith('webgpu'))).toBe(false);
    expect(c.details.join('\n')).toMatch(/WebGPU not measured: .*software adapter/);
    // The CPU keeps the target at tiny, so software WebGL is not measured either.
    expect(d.calls.some((s) => s.startsWith('webgl'))).toBe(false);
    expect(c.backend).toBe('cpu');
    expect(c.summary).toMatch(/^tiny model, ~4\.0 steps\/s on this CPU$/);
  });

  it('measures software WebGL when the CPU misses the target on 4+ cores, and takes it if faster', async () => {
    const d = fakeDevice({ webgl: { perSec: 8, compileMs: 3000 }, cpu: { perSec: 2, compileMs: 0 } });
    const c = await calibrate({ candidates: [swGl, cpu], measure: d.measure, now: d.now, budgetMs: 1e9, cores: 8 });
    expect(d.calls.slice(0, 2)).toEqual(['cpu:tiny', 'webgl:tiny']);
    expect(c.backend).toBe('webgl');
    expect(c.summary).toContain('software WebGL');
    const two = fakeDevice({ webgl: { perSec: 8, compileMs: 3000 }, cpu: { perSec: 2, compileMs: 0 } });
    const c2 = await calibrate({ candidates: [swGl, cpu], measure: two.measure, now: two.now, budgetMs: 1e9, cores: 2 });
    expect(two.calls).toEqual(['cpu:tiny']);
    expect(c2.details.join('\n')).toMatch(/software renderer on 2 CPU cores/);
  });

  it('does not compile a rung predicted far below the target', async () => {
    const d = fakeDevice({ cpu: { perSec: 4, compileMs: 0 } });
    const c = await calibrate({ candidates: [cpu], measure: d.measure, now: d.now });
    // small has 8× tiny's work: 4 → 0.5 steps/s predicted, under a quarter of the target.
    expect(d.calls).toEqual(['cpu:tiny']);
    expect(c.details.join('\n')).toMatch(/small not measured: .*predicts 0\.5 steps\/s/);
  });

  it('below the target everywhere: the smallest size on the fastest backend, and the line says so', async () => {
    const d = fakeDevice({ cpu: { perSec: 1, compileMs: 0 } });
    const c = await calibrate({ candidates: [cpu], measure: d.measure, now: d.now });
    expect(c.rung.name).toBe('tiny');
    expect(c.summary).toContain('(under 3 steps/s: the smallest size)');
  });

  it('a forced software WebGPU (the only candidate) is measured', async () => {
    const d = fakeDevice({ webgpu: { perSec: 1.2, compileMs: 50_000 } });
    const c = await calibrate({ candidates: [swGpu], measure: d.measure, now: d.now });
    expect(c.backend).toBe('webgpu');
    expect(d.calls).toEqual(['webgpu:tiny']);
  });

  it('stops climbing when the time budget is spent', async () => {
    const d = fakeDevice({ webgpu: { perSec: 5000, compileMs: 4000 } });
    const c = await calibrate({ candidates: [hwGpu], measure: d.measure, now: d.now, budgetMs: 9000 });
    // tiny (4 s) and small (8 s) fit; medium would start after the budget.
    expect(c.measurements.map((m) => m.rung)).toEqual(['tiny', 'small', 'medium']);
    expect(c.rung.name).toBe('medium');
    expect(c.details.join('\n')).toMatch(/budget/);
  });

  it('a backend that fails to step is reported and another is used', async () => {
    const d = fakeDevice({ webgpu: { perSec: 100, compileMs: 10, fails: true }, cpu: { perSec: 4, compileMs: 0 } });
    const c = await calibrate({ candidates: [hwGpu, cpu], measure: d.measure, now: d.now });
    expect(c.backend).toBe('cpu');
    expect(c.details.join('\n')).toContain('webgpu failed: webgpu blew up');
  });

  it('reports progress with a growing count', async () => {
    const d = fakeDevice({ cpu: { perSec: 40, compileMs: 0 } });
    const seen: [string, number, number][] = [];
    await calibrate({ candidates: [cpu], measure: d.measure, now: d.now, onProgress: (l, a, b) => seen.push([l, a, b]) });
    expect(seen[0]).toEqual(['measuring cpu tiny', 0, 2]);
    expect(seen.at(-1)![0]).toBe('calibrated');
    for (const [, done, planned] of seen) expect(done).toBeLessThanOrEqual(planned);
  });
});

describe('calibration helpers', () => {
  it('ladder rungs are presets of the same size, smallest first', () => {
    for (const r of LADDER) for (const k of SIZE_KEYS) expect(PRESETS[r.name as keyof typeof PRESETS][k], `${r.name}.${k}`).toBe(r[k]);
    const cost = LADDER.map((r) => r.ndf ** 2 * r.batchSize * r.nDepth);
    expect([...cost].sort((a, b) => a - b)).toEqual(cost);
  });

  it('plans hardware first, then the CPU, then software', () => {
    expect(planBackends([swGpu, swGl, cpu]).order.map((c) => c.name)).toEqual(['cpu', 'webgl']);
    expect(planBackends([hwGpu, hwGl, cpu]).order.map((c) => c.name)).toEqual(['webgpu', 'webgl', 'cpu']);
    expect(planBackends([swGpu]).order).toEqual([swGpu]);
  });

  it('recognises software adapters', () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true, description: 'whatever' })).toBe(true);
    expect(isSoftwareAdapter({ description: 'Google · swiftshader · Subzero' })).toBe(true);
    expect(isSoftwareAdapter({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ description: 'NVIDIA GeForce RTX 4070' })).toBe(false);
    expect(isSoftwareAdapter({})).toBe(false);
  });

  it('applies the choice only where the link left it to the app', () => {
    const cfg = validate({ lr: 5e-4 });
    const choice = { backend: 'cpu', rung: LADDER[1] } as Parameters<typeof applyChoice>[1];
    const all = applyChoice(cfg, choice, { size: true, backend: true });
    expect([all.ndf, all.batchSize, all.backend, all.lr]).toEqual([16, 8, 'cpu', 5e-4]);
    const none = applyChoice(cfg, choice, { size: false, backend: false });
    expect(none).toEqual(cfg);
  });

  it('reads what a link forces', () => {
    expect(autoFromHash('')).toEqual({ size: true, backend: true });
    expect(autoFromHash('#lr=0.001&backend=auto')).toEqual({ size: true, backend: true });
    expect(autoFromHash('#preset=demo')).toEqual({ size: false, backend: true });
    expect(autoFromHash('#batchSize=16')).toEqual({ size: false, backend: true });
    expect(autoFromHash('#backend=webgl')).toEqual({ size: true, backend: false });
  });

  it('caches per device, image size and version, and rejects stale or malformed entries', () => {
    const a = cacheKey([cpu, swGl], 32, '0.1.0', 'ua');
    expect(cacheKey([cpu, swGl], 32, '0.1.1', 'ua')).not.toBe(a);
    expect(cacheKey([cpu, swGl], 64, '0.1.0', 'ua')).not.toBe(a);
    expect(cacheKey([cpu, swGl, swGpu], 32, '0.1.0', 'ua')).not.toBe(a);
    const good = { backend: 'cpu', adapter: 'JavaScript', software: false, rung: LADDER[0], stepsPerSec: 4, summary: 's', details: [], measurements: [] };
    expect(fromCache(good, [cpu])?.rung).toEqual(LADDER[0]);
    expect(fromCache(good, [swGl])).toBeNull(); // its backend is gone
    expect(fromCache({ ...good, rung: { name: 'huge' } }, [cpu])).toBeNull();
    expect(fromCache('nonsense', [cpu])).toBeNull();
    expect(fromCache({ ...good, stepsPerSec: '4' }, [cpu])).toBeNull();
  });
});
