/**
 * Shared by the import diagnostics (importProbe, importSeries, importSlices): the photos bench/import.ts
 * generates (Pillow's, 640×480, quality 90), and bench/importProbePage.ts built into a temp folder and served
 * as a page with one file input; close() stops the server and removes the build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serveStatic } from './serve';

const root = fileURLToPath(new URL('..', import.meta.url));
const PHOTOS = join(tmpdir(), 'infomax-bench-photos-640x480-q90-pil');
export const photoPath = (i: number) => join(PHOTOS, `photo_${String(i).padStart(5, '0')}.jpg`);

export async function serveProbePage(): Promise<{ port: number; close: () => void }> {
  const out = mkdtempSync(join(tmpdir(), 'infomax-import-probe-'));
  await build({
    root, configFile: false, publicDir: false, logLevel: 'warn', worker: { format: 'es' },
    build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false, rollupOptions: { input: join(root, 'bench/importProbePage.ts'), output: { entryFileNames: 'bench.js' } } },
  });
  const html = '<!doctype html><meta charset="utf-8"><input type="file" id="files" multiple><script type="module" src="./bench.js"></script>';
  const server = await serveStatic(out, { '/': html, '/index.html': html });
  return {
    port: server.port,
    close: () => {
      server.close();
      rmSync(out, { recursive: true, force: true });
    },
  };
}
