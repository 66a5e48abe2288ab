/**
 * `STEPS=slice-only,slice-only,whole npx tsx bench/importSlices.ts [N]`: what Chromium's renderer keeps of
 * the Blob work an import does per file, after garbage collection. N chosen files are cloned into a plain
 * worker (gc() exposed), then each step runs over all N in that worker and the renderer's resident memory
 * is read after it and again after a forced collection (page and worker): 'slice-only' (make a 4 KiB
 * slice Blob, read nothing), 'slices4k' (read it), 'slices' (a 64 KiB one), 'stream-head' (the first chunk of
 * its stream, then cancel), 'whole' (read the whole file), 'bitmaps' (decode, crop and resize), 'terminate' (end the worker; the next step starts a new one).
 * Repeating a step shows whether memory is reused (flat) or kept (a step up per pass).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { childRssMB } from './import';
import { photoPath, serveProbePage } from './probePage';

const n = Number(process.argv[2] ?? 10000);
const server = await serveProbePage();
const profile = mkdtempSync(join(tmpdir(), 'infomax-probe-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--js-flags=--expose-gc'] });
try {
  const page = await context.newPage();
  const ready = new Promise<void>((res) => page.on('console', (m) => m.text() === 'bench:ready' && res()));
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await ready;
  await page.locator('#files').setInputFiles(Array.from({ length: n }, (_, i) => photoPath(i)));
  type Probe = { probe: (step: string, o: object) => Promise<void> };
  const run = (name: string, o: object = {}) => page.evaluate(([a, b]) => (globalThis as unknown as Probe).probe(a as string, b as object), [name, o] as const);
  const mark = async (s: string) => { await new Promise((r) => setTimeout(r, 1000)); console.log(`${s.padEnd(24)} renderer ${Math.round(childRssMB().renderer)} load ${loadavg()[0].toFixed(2)}`); };
  await run('files', { gc: true }); await mark('files cloned, gc');
  for (const step of (process.env.STEPS ?? 'slices,slices,slices').split(',')) {
    await run(step, { n }); await mark(step);
    await run('noop', { gc: true }); await mark('gc');
  }
} finally {
  await context.close(); server.close();
  rmSync(profile, { recursive: true, force: true });
}
