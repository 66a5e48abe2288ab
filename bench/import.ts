/**
 * `npm run bench` import figure: images per second to import a folder of JPEG photos of a few megapixels
 * through the real import worker, next to createImageBitmap-only decoding of the same files in the same
 * run (ratio should be ≥ 0.8), and the browser's peak resident memory during the import.
 * Bundles bench/importPage.ts with Vite, serves it from a tiny static server, drives Debian's Chromium.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic } from './serve';
import { build } from 'vite';
import type { PageResult } from './importPage';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Resident memory (MB) of every process below this one: the browser and its renderer/GPU children. */
function childRssMB(): number {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const [pid, ppid, kb] of rows) {
    rss.set(pid, kb);
    kids.set(ppid, [...(kids.get(ppid) ?? []), pid]);
  }
  let total = 0;
  const stack = [...(kids.get(process.pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    total += rss.get(p) ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return total / 1024;
}

export default async function bench(opts: { quick: boolean; baseURL?: string }): Promise<Record<string, unknown>> {
  const out = mkdtempSync(join(tmpdir(), 'infomax-import-bench-'));
  await build({
    root, configFile: false, publicDir: false, logLevel: 'warn',
    worker: { format: 'es' },
    build: {
      outDir: out, emptyOutDir: true, target: 'es2022', minify: false,
      rollupOptions: { input: join(root, 'bench/importPage.ts'), output: { entryFileNames: 'bench.js' } },
    },
  });
  const html = '<!doctype html><meta charset="utf-8"><title>import bench</title><input type="file" id="files" multiple><script type="module" src="./bench.js"></script>';
  const photos = join(out, 'photos');
  mkdirSync(photos);
  const server = await serveStatic(out, { '/': html, '/index.html': html });
  const port = server.port;
  const browser = await launchChromium();
  let phase = 'setup';
  let rssBefore = 0;
  let peak = 0;
  const sampler = setInterval(() => {
    if (phase !== 'import') return;
    peak = Math.max(peak, childRssMB());
  }, 100);
  try {
    const page = await browser.newPage();
    const ready = new Promise<void>((res) => page.on('console', (m) => {
      const t = m.text();
      if (t === 'bench:ready') res();
      if (t === 'phase:import-start') {
        rssBefore = childRssMB();
        peak = rssBefore;
        phase = 'import';
      }
      if (t === 'phase:import-end') phase = 'after';
    }));
    await page.goto(`http://127.0.0.1:${port}/`);
    await ready;
    page.on('crash', () => console.error('import bench: the page crashed'));
    const images = opts.quick ? 60 : 1000;
    const [width, height] = [2048, 1536];
    // photos are made by the browser's JPEG encoder, then live on disk like a user's folder (not in memory)
    const t0 = performance.now();
    const paths: string[] = [];
    for (let first = 0; first < images; first += 25) {
      const batch = await page.evaluate(
        ([f, n, w, h]) => (globalThis as unknown as { makeJpegs: (...a: number[]) => Promise<string[]> }).makeJpegs(f, n, w, h),
        [first, Math.min(25, images - first), width, height],
      );
      batch.forEach((b64, k) => {
        const p = join(photos, `photo_${first + k}.jpg`);
        writeFileSync(p, Buffer.from(b64, 'base64'));
        paths.push(p);
      });
    }
    const generateSec = (performance.now() - t0) / 1000;
    await page.locator('#files').setInputFiles(paths);
    const r = await page.evaluate((o) => (globalThis as unknown as { runImportBench: (o: object) => Promise<PageResult> }).runImportBench(o), { size: 32 });
    const decode = (r.decodeOnlyPerSec[0] + r.decodeOnlyPerSec[1]) / 2;
    return {
      import_images: r.images,
      import_photo_px: `${width}x${height}`,
      import_mean_jpeg_kB: r.meanJpegKB,
      import_in_flight: r.concurrency,
      import_images_per_s: +r.importPerSec.toFixed(1),
      decode_only_images_per_s: +decode.toFixed(1),
      decode_only_runs: r.decodeOnlyPerSec.map((v) => +v.toFixed(1)),
      import_to_decode_ratio: +(r.importPerSec / decode).toFixed(3),
      import_ratio_ok: r.importPerSec / decode >= 0.8,
      import_imported: r.imported,
      import_skipped: r.skipped,
      import_browser_rss_before_mb: Math.round(rssBefore),
      import_browser_rss_peak_mb: Math.round(peak),
      import_browser_rss_growth_mb: Math.round(peak - rssBefore),
      import_generate_s: +generateSec.toFixed(1),
    };
  } finally {
    clearInterval(sampler);
    await browser.close();
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

// `npx tsx bench/import.ts [--quick]` runs it alone
if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  bench({ quick: process.argv.includes('--quick') }).then((r) => console.log(JSON.stringify(r, null, 2)), (e) => {
    console.error(e);
    process.exit(1);
  });
}
