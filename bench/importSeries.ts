/**
 * `npx tsx bench/importSeries.ts [N]`: the renderer's resident memory (page and workers) every EVERY ms
 * (default 5000) during a real import of the first N generated photos (bench/import.ts makes them),
 * through the app's pull protocol (bench/importProbePage.ts, step 'import'). FORCEGC=1 starts Chromium
 * with gc() exposed and collects garbage in the page and every worker before each reading, so what is
 * left is what the import holds, not garbage waiting for a collection; STOP=ms ends early.
 * A diagnostic, not a target: it splits the renderer row of `npm run bench -- import` into garbage
 * (a saw-tooth) and what stays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { childRssMB } from './import';
import { photoPath, serveProbePage } from './probePage';

const n = Number(process.argv[2] ?? 20000);
const server = await serveProbePage();
const profile = mkdtempSync(join(tmpdir(), 'infomax-probe-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', ...(process.env.FORCEGC ? ['--js-flags=--expose-gc'] : [])],
});
type Gc = { gc?: () => void };
type Probe = { probe: (step: string, o: object) => Promise<void> };
try {
  const page = await context.newPage();
  const ready = new Promise<void>((res) => page.on('console', (m) => (m.text() === 'bench:ready' ? res() : m.text().startsWith('probe:') && console.log(m.text()))));
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await ready;
  await page.locator('#files').setInputFiles(Array.from({ length: n }, (_, i) => photoPath(i)));
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = performance.now();
  const r0 = childRssMB();
  console.log(`start renderer ${Math.round(r0.renderer)} utility ${Math.round(r0.utility)} load ${loadavg()[0].toFixed(2)}`);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    if (process.env.FORCEGC) {
      for (const w of page.workers()) await w.evaluate(() => { for (let i = 0; i < 3; i++) (self as Gc).gc?.(); }).catch(() => {}); // a worker may end meanwhile
      await page.evaluate(() => (globalThis as Gc).gc?.()).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
    }
    busy = false;
    const r = childRssMB();
    console.log(`${((performance.now() - t0) / 1000).toFixed(0)}s renderer ${Math.round(r.renderer)} (+${Math.round(r.renderer - r0.renderer)}) utility ${Math.round(r.utility)}`);
  }, Number(process.env.EVERY ?? 5000));
  const stop = Number(process.env.STOP ?? 0);
  await Promise.race([page.evaluate((k) => (globalThis as unknown as Probe).probe('import', { n: k }), n), ...(stop ? [new Promise((r) => setTimeout(r, stop))] : [])]);
  clearInterval(timer);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
