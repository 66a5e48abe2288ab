/**
 * `npm run bench -- import`: a folder of N generated JPEG photos (N = 1,000, 5,000, 20,000; --quick: 60)
 * imported through the real import worker, in images per second, next to createImageBitmap-only decoding of
 * the same files (the first BASELINE_FILES of them) in the same browser, just before and just after the
 * import (the target is a ratio ≥ 0.8), and the
 * browser's peak resident memory during the import (every 250 ms) above what it held just before. Each N gets a fresh
 * browser, so the peaks compare: memory must not grow with N beyond the writer's chunk buffer.
 * The browser runs with a profile on disk, as a user's does (`--incognito`: Playwright's default context,
 * which is off the record: there IndexedDB keeps the whole dataset in the browser process's memory, and
 * the row says so). The memory the file selection itself takes (setInputFiles of N files, before any
 * import) is measured on its own.
 * The photos (640×480 JPEG, quality 90, ~150 kB: a gradient, coloured ellipses and a noise overlay, made
 * once by bench/make_photos.py with Pillow, or by Chromium's JPEG encoder where Debian's python3-pil is
 * missing) are kept in the system's temp folder and reused by later runs.
 * Bundles bench/importPage.ts with Vite, serves it, drives Chromium.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { loadavg, tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from '@playwright/test';
import { launchChromium, serveStatic } from './serve';
import { build } from 'vite';
import type { PageResult } from './importPage';
import { CHUNK_IMAGES } from '../src/lib/data/store';

const root = fileURLToPath(new URL('..', import.meta.url));
const [WIDTH, HEIGHT, QUALITY] = [640, 480, 90];
/** Side of the imported images (the larger of the app's two sizes: 64 px, a 3 MiB chunk). */
const SIZE = 64;
/** The bare decode rate is timed on the first this-many photos (a rate does not depend on the folder size), before and after the import. */
const BASELINE_FILES = 2000;
const PYTHON = '/usr/bin/python3';
const hasPillow = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import PIL, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const MAKER = hasPillow ? 'pil' : 'chromium';
const PHOTOS = join(tmpdir(), `infomax-bench-photos-${WIDTH}x${HEIGHT}-q${QUALITY}-${MAKER}`);
const photoPath = (i: number) => join(PHOTOS, `photo_${String(i).padStart(5, '0')}.jpg`);

/** Every process below this one (the browser and its children) with its Chromium process type, from one `ps`. */
function childProcesses(): { pid: number; type: string }[] {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim().split('\n').map((l) => {
      const [pid, ppid, ...args] = l.trim().split(/\s+/);
      return { pid: +pid, ppid: +ppid, type: /--type=([\w-]+)/.exec(args.join(' '))?.[1] ?? 'browser' };
    });
  const kids = new Map<number, typeof rows>();
  for (const r of rows) kids.set(r.ppid, [...(kids.get(r.ppid) ?? []), r]);
  const out: { pid: number; type: string }[] = [];
  const stack = [...(kids.get(process.pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(kids.get(p.pid) ?? []));
  }
  return out;
}

/** Resident memory (MB) of `procs` by process type, read from /proc (cheap: a sample must not slow the import it watches). */
function rssMB(procs: { pid: number; type: string }[]): Record<string, number> {
  const out: Record<string, number> = { total: 0 };
  for (const p of procs) {
    let mb = 0;
    try {
      mb = (+readFileSync(`/proc/${p.pid}/statm`, 'utf8').split(' ')[1] * 4096) / 2 ** 20;
    } catch {
      continue; // the process has ended
    }
    out.total += mb;
    out[p.type] = (out[p.type] ?? 0) + mb;
  }
  return out;
}

/** Resident memory (MB) of every process below this one, by Chromium process type. */
export const childRssMB = (): Record<string, number> => rssMB(childProcesses());

const load = () => loadavg().map((v) => +v.toFixed(2));

async function openPage(browser: Browser, port: number, onConsole: (t: string) => void = () => {}) {
  const page = await browser.newPage();
  const ready = new Promise<void>((res) => page.on('console', (m) => {
    const t = m.text();
    if (t === 'bench:ready') res();
    onConsole(t);
  }));
  page.on('crash', () => console.error('import bench: the page crashed'));
  await page.goto(`http://127.0.0.1:${port}/`);
  await ready;
  return page;
}

/** Makes the photos 0..count-1 that the temp folder lacks (a resumed or first run), with the browser's encoder. */
async function ensurePhotos(count: number, port: number): Promise<number> {
  mkdirSync(PHOTOS, { recursive: true });
  const have = new Set(readdirSync(PHOTOS));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(photoPath(i).slice(PHOTOS.length + 1)));
  if (!missing.length) return 0;
  const t0 = performance.now();
  if (hasPillow) {
    // runs of consecutive numbers, one Python process each
    for (let at = 0; at < missing.length; ) {
      let end = at + 1;
      while (end < missing.length && missing[end] === missing[end - 1] + 1) end++;
      console.log(`[import] making photos ${missing[at]}..${missing[end - 1]} with Pillow`);
      execFileSync(PYTHON, [join(root, 'bench/make_photos.py'), PHOTOS, String(missing[at]), String(end - at), String(WIDTH), String(HEIGHT), String(QUALITY)], { stdio: 'inherit' });
      at = end;
    }
    return (performance.now() - t0) / 1000;
  }
  const browser = await launchChromium();
  try {
    const page = await openPage(browser, port);
    for (let at = 0; at < missing.length; at += 50) {
      const ids = missing.slice(at, at + 50);
      const batch = await page.evaluate(
        ([list, w, h, q]) => (globalThis as unknown as { makeJpegs: (ids: number[], w: number, h: number, q: number) => Promise<string[]> }).makeJpegs(list as number[], w as number, h as number, q as number),
        [ids, WIDTH, HEIGHT, QUALITY / 100] as const,
      );
      batch.forEach((b64, k) => writeFileSync(photoPath(ids[k]), Buffer.from(b64, 'base64')));
      if (at % 2000 === 0) console.log(`[import] generating photos: ${at + ids.length} of ${missing.length}`);
    }
  } finally {
    await browser.close();
  }
  return (performance.now() - t0) / 1000;
}

/** A fresh browser: with a profile on disk in a temp folder (a user's), or Playwright's incognito context. */
async function freshBrowser(incognito: boolean): Promise<Pick<Browser, 'newPage' | 'close'>> {
  if (incognito) return launchChromium();
  const profile = mkdtempSync(join(tmpdir(), 'infomax-import-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
  return {
    newPage: () => ctx.newPage(),
    close: async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 1000));

/** One folder size in a fresh browser: the selection, decode-only, import (memory sampled every 250 ms), decode-only. */
async function measure(n: number, port: number, incognito: boolean): Promise<Record<string, unknown>> {
  let phase = 'setup';
  let before: Record<string, number> = { total: 0 };
  let peaks: Record<string, number> = { total: 0 };
  // every 250 ms from /proc, the process list refreshed every 5 s: `ps -A` every 100 ms took a share of
  // the 2 cores and slowed the import it measured (0.61× the bare decode rate under it, 0.8× without)
  let procs: { pid: number; type: string }[] = [];
  let listed = 0;
  // the renderer's growth every 5 s: a plateau (garbage collected in cycles) or a climb with the photos imported
  const series: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    if (phase !== 'import') return;
    if (performance.now() - listed > 5000) [procs, listed] = [childProcesses(), performance.now()];
    const now = rssMB(procs);
    for (const [k, v] of Object.entries(now)) peaks[k] = Math.max(peaks[k] ?? 0, v);
    if (ticks++ % 20 === 19) series.push(Math.round((now.renderer ?? 0) - (before.renderer ?? 0)));
  }, 250);
  const loadBefore = load();
  const browser = await freshBrowser(incognito);
  try {
    const page = await openPage(browser as Browser, port, (t) => {
      if (t === 'phase:import-start') {
        before = childRssMB();
        peaks = { ...before };
        phase = 'import';
      }
      if (t === 'phase:import-end') phase = 'after';
    });
    await settle();
    const unchosen = childRssMB();
    await page.locator('#files').setInputFiles(Array.from({ length: n }, (_, i) => photoPath(i)));
    await settle();
    const chosen = childRssMB();
    const r = await page.evaluate((o) => (globalThis as unknown as { runImportBench: (o: object) => Promise<PageResult> }).runImportBench(o), { size: SIZE, baselineFiles: BASELINE_FILES });
    const rssBefore = before.total;
    const peak = peaks.total;
    const byType = Object.fromEntries(Object.keys(peaks).filter((k) => k !== 'total').map((k) => [k, [Math.round(before[k] ?? 0), Math.round(peaks[k])]]));
    const decode = (r.decodeOnlyPerSec[0] + r.decodeOnlyPerSec[1]) / 2;
    const row = {
      images: r.images,
      mean_jpeg_kB: r.meanJpegKB,
      in_flight: r.concurrency,
      import_images_per_s: +r.importPerSec.toFixed(1),
      decode_only_images_per_s: +decode.toFixed(1),
      decode_only_runs: r.decodeOnlyPerSec.map((v) => +v.toFixed(1)),
      import_to_decode_ratio: +(r.importPerSec / decode).toFixed(3),
      profile: incognito ? 'incognito (IndexedDB in memory)' : 'on disk',
      /** What choosing the N files costs before any import (setInputFiles; the browser process keeps one entry per file). */
      selection_growth_mb: { browser: Math.round(chosen.browser - unchosen.browser), renderer: Math.round((chosen.renderer ?? 0) - (unchosen.renderer ?? 0)), total: Math.round(chosen.total - unchosen.total) },
      imported: r.imported,
      skipped: r.skipped,
      browser_rss_before_mb: Math.round(rssBefore),
      browser_rss_peak_mb: Math.round(peak),
      browser_rss_growth_mb: Math.round(peak - rssBefore),
      /** Per Chromium process type: [before, peak] MB (each type's own peak). */
      rss_by_process_mb: byType,
      /** The renderer (page and workers) every 5 s of the import, MB above just before it. */
      renderer_growth_every_5s_mb: series,
      load_avg_before: loadBefore,
      load_avg_after: load(),
    };
    console.log(
      `[import · Chromium, profile ${row.profile}] ${n.toLocaleString('en')} photos: selection +${row.selection_growth_mb.total} MB (browser process +${row.selection_growth_mb.browser}); import ${row.import_images_per_s} images/s, decode only ${row.decode_only_images_per_s} ` +
        `(${row.decode_only_runs.join(' / ')}), ratio ${row.import_to_decode_ratio}; browser memory ${row.browser_rss_before_mb} → peak ` +
        `${row.browser_rss_peak_mb} MB (+${row.browser_rss_growth_mb}; ${Object.entries(byType).map(([k, [a, b]]) => `${k} ${a}→${b}`).join(', ')}); load average ${loadBefore.join(' ')} → ${row.load_avg_after.join(' ')}`,
    );
    return row;
  } finally {
    clearInterval(sampler);
    await browser.close();
  }
}

export default async function bench(opts: { quick: boolean; sizes?: number[]; incognito?: boolean }): Promise<Record<string, unknown>> {
  const sizes = opts.sizes ?? (opts.quick ? [60] : [1000, 5000, 20_000]);
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
  const server = await serveStatic(out, { '/': html, '/index.html': html });
  try {
    const generateSec = await ensurePhotos(Math.max(...sizes), server.port);
    const rows: Record<string, Record<string, unknown>> = {};
    for (const n of sizes) rows[n] = await measure(n, server.port, opts.incognito ?? false);
    const growth = sizes.map((n) => rows[n].browser_rss_growth_mb as number);
    const ratios = sizes.map((n) => rows[n].import_to_decode_ratio as number);
    const chunkMB = (2 * CHUNK_IMAGES * SIZE * SIZE * 3) / 2 ** 20;
    // flat: the largest folder's peak growth within the smallest's plus 50% and 64 MB (allocator and sampling noise)
    const flat = sizes.length > 1 ? growth[growth.length - 1] <= growth[0] * 1.5 + 64 : null;
    console.log(
      `[import] photos ${WIDTH}×${HEIGHT} JPEG quality ${QUALITY} by ${MAKER} (${PHOTOS}), imported at ${SIZE} px; ratio ${ratios.join(', ')} ` +
        `(target ≥ 0.8: ${ratios.every((r) => r >= 0.8) ? 'met' : 'NOT met'}); peak growth ${growth.join(', ')} MB for ${sizes.join(', ')} photos ` +
        `(${flat === null ? 'one size: nothing to compare' : flat ? 'flat' : 'GROWS'} with N; the writer's two chunk buffers are ${chunkMB.toFixed(1)} MB)`,
    );
    return {
      import_photo: `${WIDTH}x${HEIGHT} JPEG quality ${QUALITY}, made by ${MAKER}`,
      import_size_px: SIZE,
      import_generate_s: +generateSec.toFixed(1),
      import_rows: rows,
      import_ratio_ok: ratios.every((r) => r >= 0.8),
      import_peak_growth_mb: growth,
      import_memory_flat: flat,
    };
  } finally {
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

// `npx tsx bench/import.ts [--quick] [--sizes 1000,5000] [--incognito]` runs it alone
if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const i = process.argv.indexOf('--sizes');
  const sizes = i > 0 ? process.argv[i + 1].split(',').map(Number) : undefined;
  bench({ quick: process.argv.includes('--quick'), sizes, incognito: process.argv.includes('--incognito') }).then((r) => console.log(JSON.stringify(r, null, 2)), (e) => {
    console.error(e);
    process.exit(1);
  });
}
