/**
 * Make tfjs-backend-webgpu usable in Node through the `webgpu` package (Dawn). Must run before the backend
 * is imported (it registers only where navigator.gpu exists). On a machine without a GPU driver, Dawn can
 * use Chromium's SwiftShader Vulkan ICD when it is installed.
 */
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function installNodeWebGpu(opts: { allowSoftware: boolean }): Promise<{ ok: boolean; note: string }> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return { ok: true, note: 'navigator.gpu already present' };
  let mod: { create: (args: string[]) => unknown; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as never;
  } catch (e) {
    return { ok: false, note: `the webgpu package could not load: ${(e as Error).message}` };
  }
  const tryCreate = async () => {
    const gpu = mod.create([]) as { requestAdapter(): Promise<{ info?: Record<string, string> } | null> };
    const adapter = await gpu.requestAdapter();
    return { gpu, adapter };
  };
  let { gpu, adapter } = await tryCreate();
  if (!adapter && opts.allowSoftware && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    ({ gpu, adapter } = await tryCreate());
  }
  if (!adapter) return { ok: false, note: 'WebGPU (Dawn): no adapter (no Vulkan driver?)' };
  const info = adapter.info ?? {};
  const software = /swiftshader|llvmpipe|cpu/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  if (software && !opts.allowSoftware) return { ok: false, note: `WebGPU (Dawn): only a software adapter (${info.description || info.device || 'SwiftShader'})` };
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
  return { ok: true, note: `${info.vendor ?? ''} ${info.description ?? ''}`.trim() };
}
