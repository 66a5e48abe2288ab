/**
 * Make tfjs-backend-webgpu usable in Node through the `webgpu` package (Dawn). Must run before the backend
 * is imported (it registers only where navigator.gpu exists). Where a GPU has no Vulkan driver, Dawn's
 * OpenGL ES backend; on a machine without a GPU driver, Chromium's SwiftShader Vulkan ICD when installed.
 */
import { existsSync } from 'node:fs';
import { adapterText, isSoftwareAdapter } from '../src/lib/train/calibrate';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type Adapter = { info?: Record<string, unknown> };
type Gpu = { requestAdapter(o?: object): Promise<Adapter | null> };

export interface NodeGpuOptions {
  /** Accept a software adapter (SwiftShader), trying its ICD when no hardware one is found. */
  allowSoftware: boolean;
  /** Dawn toggles, e.g. 'enable-dawn-features=allow_unsafe_apis' for timestamp queries in benchmarks. */
  dawnFlags?: string[];
}


/**
 * Dawn's OpenGL ES backend, for GPUs whose machine has no Vulkan driver (containers that mount NVIDIA's
 * EGL/GLX libraries only). It has no core adapter, so every adapter request asks for the compatibility
 * feature level; EGL needs no display with the surfaceless platform.
 */
function openGlEs(mod: DawnModule, flags: string[]): Gpu {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = mod.create([...flags, 'backend=opengles']);
  const native = gpu as Gpu & { getPreferredCanvasFormat?: () => string; wgslLanguageFeatures?: unknown };
  return {
    requestAdapter: (o?: object) => native.requestAdapter({ ...o, featureLevel: 'compatibility' }),
    getPreferredCanvasFormat: () => native.getPreferredCanvasFormat?.() ?? 'rgba8unorm',
    get wgslLanguageFeatures() {
      return native.wgslLanguageFeatures;
    },
  } as Gpu;
}

type DawnModule = { create: (args: string[]) => Gpu; globals: Record<string, unknown> };

/**
 * Adapters are tried in this order, keeping the first hardware one: Vulkan (the machine's driver), then
 * OpenGL ES (EGL). With `allowSoftware`, a software adapter is used when no hardware one exists:
 * SwiftShader's Vulkan ICD when installed (faster than Mesa's llvmpipe), else the software one found.
 */
export async function installNodeWebGpu(opts: NodeGpuOptions): Promise<{ ok: boolean; note: string; software?: boolean; dawnBackend?: 'vulkan' | 'opengles' }> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return { ok: true, note: 'navigator.gpu already present' };
  let mod: DawnModule;
  try {
    mod = (await import('webgpu')) as never;
  } catch (e) {
    return { ok: false, note: `the webgpu package could not load: ${(e as Error).message}` };
  }
  const flags = opts.dawnFlags ?? [];
  const attempt = async (dawnBackend: 'vulkan' | 'opengles') => {
    const gpu = dawnBackend === 'vulkan' ? mod.create(flags) : openGlEs(mod, flags);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) return null;
    const text = adapterText(adapter.info);
    return { gpu, dawnBackend, text, software: isSoftwareAdapter({ isFallbackAdapter: adapter.info?.isFallbackAdapter === true, description: text }) };
  };
  // DAWN_BACKEND=opengles|vulkan tries only that one (the GPU bench measures the fallback with it)
  const only = process.env.DAWN_BACKEND === 'opengles' || process.env.DAWN_BACKEND === 'vulkan' ? process.env.DAWN_BACKEND : null;
  const tried = [only === 'opengles' ? null : await attempt('vulkan')];
  if (only !== 'vulkan' && (!tried[0] || tried[0].software)) tried.push(await attempt('opengles'));
  let pick = tried.find((t) => t && !t.software) ?? null;
  if (!pick && opts.allowSoftware) {
    if (!tried[0] && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      tried.push(await attempt('vulkan'));
    }
    pick = [...tried].reverse().find((t) => t && /swiftshader/i.test(t.text)) ?? tried.find((t) => t) ?? null;
  }
  if (!pick) {
    const soft = tried.find((t) => t);
    return { ok: false, note: soft ? `WebGPU (Dawn): only a software adapter (${soft.text})` : 'WebGPU (Dawn): no adapter (neither Vulkan nor OpenGL ES)' };
  }
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu: pick.gpu }, configurable: true, writable: true });
  const note = `${pick.text} (Dawn ${pick.dawnBackend === 'vulkan' ? 'Vulkan' : 'OpenGL ES, compatibility'})`;
  return { ok: true, note, software: pick.software, dawnBackend: pick.dawnBackend };
}
