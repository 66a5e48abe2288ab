/**
 * Backend choice: WebGPU (only with a real adapter, not just `navigator.gpu`), then WebGL, then CPU.
 * The wasm backend is never used for training: it has no Conv2DBackpropFilter kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { Backend } from '../config';
import type { BackendInfo } from './types';

type GpuLike = { requestAdapter(opts?: object): Promise<{ info?: Record<string, string>; requestAdapterInfo?: () => Promise<Record<string, string>> } | null> };

function gpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

function describeAdapter(info: Record<string, string> | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? [...new Set(parts)].join(' · ') : 'unknown adapter';
}

async function tryWebGpu(): Promise<{ ok: true; adapter: string } | { ok: false; why: string }> {
  const g = gpu();
  if (!g) return { ok: false, why: 'WebGPU: navigator.gpu is missing (browser without WebGPU, or it is disabled)' };
  let adapter;
  try {
    adapter = await g.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, why: `WebGPU: requestAdapter failed (${(e as Error).message})` };
  }
  if (!adapter) return { ok: false, why: 'WebGPU: no adapter (GPU blocklisted or unavailable)' };
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo().catch(() => undefined) : undefined);
  try {
    // The webgpu backend registers itself only where navigator.gpu exists at import time, so import it late.
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { ok: false, why: 'WebGPU: tfjs could not initialise the webgpu backend' };
    await tf.ready();
  } catch (e) {
    return { ok: false, why: `WebGPU: ${(e as Error).message}` };
  }
  return { ok: true, adapter: describeAdapter(info) };
}

async function tryWebGl(): Promise<{ ok: true; adapter: string } | { ok: false; why: string }> {
  try {
    if (!tf.findBackendFactory('webgl')) return { ok: false, why: 'WebGL: backend not registered here' };
    if (!(await tf.setBackend('webgl'))) return { ok: false, why: 'WebGL: no WebGL2 context (OffscreenCanvas or GPU unavailable)' };
    await tf.ready();
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    let adapter = 'WebGL2';
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      adapter = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    }
    return { ok: true, adapter };
  } catch (e) {
    return { ok: false, why: `WebGL: ${(e as Error).message}` };
  }
}

/** Pick and initialise a backend; `pref` forces one (falling back with a note when it is unavailable). */
export async function selectBackend(pref: Backend): Promise<BackendInfo> {
  const order: ('webgpu' | 'webgl' | 'cpu')[] =
    pref === 'auto' || pref === 'webgpu' ? ['webgpu', 'webgl', 'cpu'] : pref === 'webgl' ? ['webgl', 'cpu'] : ['cpu'];
  const notes: string[] = [];
  for (const name of order) {
    if (name === 'cpu') {
      await tf.setBackend('cpu');
      await tf.ready();
      return { name: 'cpu', adapter: 'JavaScript (main CPU)', notes };
    }
    const r = name === 'webgpu' ? await tryWebGpu() : await tryWebGl();
    if (r.ok) return { name, adapter: r.adapter, notes };
    notes.push(r.why);
  }
  throw new Error('unreachable');
}

/** The WebGPU device behind the current backend, if it is WebGPU. */
function currentDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return ((tf.backend() as unknown as { device?: GPUDevice }).device ?? null) as GPUDevice | null;
}

/** Call `cb` once if the current WebGPU device is lost (driver reset, GPU removed, `destroy()`). */
export function onDeviceLost(cb: (reason: string) => void): void {
  currentDevice()
    ?.lost.then((info) => cb(`${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}`))
    .catch(() => {});
}

/** Test hook: destroy the current WebGPU device, as a driver reset would. */
export function loseDevice(): boolean {
  const d = currentDevice();
  d?.destroy();
  return !!d;
}

/**
 * After a lost device: drop the dead backend instance and choose again. The webgpu factory is kept and
 * re-registered, so the next `setBackend('webgpu')` asks for a fresh adapter and device; if that fails the
 * normal fallback order (WebGL, then CPU) applies.
 */
export async function rebuildBackend(pref: Backend): Promise<BackendInfo> {
  const factory = tf.findBackendFactory('webgpu');
  if (factory) {
    try {
      tf.removeBackend('webgpu');
    } catch {
      // disposing a backend whose device is gone may throw; the instance is dropped either way
    }
    tf.registerBackend('webgpu', factory, 3);
  }
  return selectBackend(pref);
}
