import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
// an EGL driver registered with GLVND (Mesa here); without one there is nothing to fall back to
const eglDrivers = ['/usr/share/glvnd/egl_vendor.d', '/etc/glvnd/egl_vendor.d'].flatMap((d) => (existsSync(d) ? readdirSync(d) : []));

// Dawn's OpenGL ES backend, the fallback for GPUs without a Vulkan driver (the lent H200's container), run
// for real on Mesa's llvmpipe: a convolution's gradients on webgpu against the CPU backend.
test('the OpenGL ES fallback gives tfjs-backend-webgpu an adapter whose conv gradients match the CPU backend', (ctx) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'cli/glProbe.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  if (!eglDrivers.length) ctx.skip('no EGL driver on this machine');
  expect(r.skipped).toBeUndefined();
  expect(r.dawnBackend).toBe('opengles');
  expect(r.adapter).toMatch(/OpenGL ES, compatibility/);
  expect(r.maxDiff).toBeLessThan(1e-4);
}, 90_000);
