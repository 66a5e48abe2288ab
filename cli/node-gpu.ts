/**
 * Make tfjs-backend-webgpu usable in Node through the `webgpu` package (Dawn). Must run before the backend
 * is imported (it registers only where navigator.gpu exists). On a machine without a GPU driver, Dawn can
 * use Chromium's SwiftShader Vulkan ICD when it is installed.
 */
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type Adapter = { info?: Record<string, string> };
type Gpu = { requestAdapter(o?: object): Promise<Adapter | null> };

export interface NodeGpuOptions {
  /** Accept a software adapter (SwiftShader), trying its ICD when no hardware one is found. */
  allowSoftware: boolean;
  /** Dawn toggles, e.g. 'enable-dawn-features=allow_unsafe_apis' for timestamp queries in benchmarks. */
  dawnFlags?: string[];
}

export async function installNodeWebGpu(opts: NodeGpuOptions): Promise<{ ok: boolean; note: string; software?: boolean }> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return { ok: true, note: 'navigator.gpu already present' };
  let mod: { create: (args: string[]) => Gpu; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as never;
  } catch (e) {
    return { ok: false, note: `the webgpu package could not load: ${(e as Error).message}` };
  }
  const make = async () => {
    const gpu = mod.create(opts.dawnFlags ?? []);
    return { gpu, adapter: await gpu.requestAdapter({ powerPreference: 'high-performance' }) };
  };
  let { gpu, adapter } = await make();
  if (!adapter && opts.allowSoftware && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    ({ gpu, adapter } = await make());
  }
  if (!adapter) return { ok: false, note: 'WebGPU (Dawn): no adapter (no Vulkan driver?)' };
  const info = adapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  const software = /swiftshader|llvmpipe|cpu/i.test(text);
  if (software && !opts.allowSoftware) return { ok: false, note: `WebGPU (Dawn): only a software adapter (${info.description || 'SwiftShader'})` };
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
  return { ok: true, note: text.replace(/\s+/g, ' ').trim(), software };
}
