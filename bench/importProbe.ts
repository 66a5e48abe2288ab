/**
 * `npx tsx bench/importProbe.ts [N] [decodeN]`: where Chromium's memory goes during an import of N photos
 * (the same generated photos as bench/import.ts). One fresh browser (gc() exposed); after each step the
 * resident memory of each Chromium process type is read (after a 1 s settle): page loaded, N files chosen
 * in the input, the N File handles cloned into a worker, a 64 KiB header read from each (a slice Blob),
 * a garbage collection, N/256 store chunks (3 MiB each) written by the store's DatasetWriter, a garbage
 * collection, decodeN photos decoded with createImageBitmap, a garbage collection.
 * A diagnostic, not a target: its figures explain the browser-process row of `npm run bench -- import`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { childRssMB } from './import';
import { photoPath, serveProbePage } from './probePage';

const n = Number(process.argv[2] ?? 20000);
const decodeN = Number(process.argv[3] ?? 0);
const stagesN = Number(process.argv[4] ?? 0);

const server = await serveProbePage();
// PERSIST=1: a profile on disk, as a user's browser has (Playwright's own contexts are incognito: IndexedDB in memory)
const launchOpts = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--js-flags=--expose-gc'],
};
const profile = mkdtempSync(join(tmpdir(), 'infomax-probe-profile-'));
const context = process.env.PERSIST ? await chromium.launchPersistentContext(profile, launchOpts) : null;
const browser = context ? { newPage: () => context.newPage(), close: () => context.close() } : await chromium.launch(launchOpts);
const rows: { step: string; s: number; mb: Record<string, number> }[] = [];
try {
  const page = await browser.newPage();
  const ready = new Promise<void>((res) => page.on('console', (m) => {
    if (m.text() === 'bench:ready') res();
    else if (m.text().startsWith('probe:')) console.log(m.text());
  }));
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await ready;
  const mark = async (step: string, t0: number) => {
    await new Promise((r) => setTimeout(r, 1000));
    const mb = Object.fromEntries(Object.entries(childRssMB()).map(([k, v]) => [k, Math.round(v)]));
    rows.push({ step, s: +((performance.now() - t0) / 1000).toFixed(1), mb });
    console.log(`[probe ${n}] ${step.padEnd(28)} ${rows.at(-1)!.s}s  ` + Object.entries(mb).map(([k, v]) => `${k} ${v}`).join(', '));
  };
  const run = async (name: string, opts: object = {}) => {
    const t0 = performance.now();
    await page.evaluate(([a, o]) => (globalThis as unknown as { probe: (a: string, o: object) => Promise<void> }).probe(a as string, o as object), [name, opts] as const);
    return t0;
  };
  await mark('loaded', performance.now());
  if (stagesN) {
    // one stage at a time on the same files, memory after each (and after a garbage collection)
    await page.locator('#files').setInputFiles(Array.from({ length: stagesN }, (_, i) => photoPath(i)));
    await mark(`chosen ${stagesN} files`, performance.now());
    for (const v of process.argv[5]?.split(',') ?? ['bare', 'sniff+canvas', 'import']) {
      await mark(`stage ${v}`, await run('stages', { n: stagesN, variants: [v] }));
      await mark('gc (page and worker)', await run('page-gc'));
    }
    await browser.close();
    process.exit(0);
  }
  let t0 = performance.now();
  await page.locator('#files').setInputFiles(Array.from({ length: n }, (_, i) => photoPath(i)));
  await mark(`chosen ${n} files`, t0);
  await mark('gc (page)', await run('page-gc'));
  await mark('Files cloned to a worker', await run('files', { gc: true }));
  await mark('64 KiB header slices read', await run('slices'));
  await mark('gc (worker)', await run('noop', { gc: true }));
  await mark(`${Math.ceil(n / 256)} chunks written`, await run('idb', { chunks: Math.ceil(n / 256) }));
  await mark('gc (page)', await run('page-gc'));
  await mark('dataset deleted', await run('idb-delete'));
  if (decodeN) {
    await mark(`${decodeN} decoded`, await run('decode', { n: decodeN }));
    await mark('gc (worker)', await run('noop', { gc: true }));
    await mark(`${decodeN} decoded+resized`, await run('resize', { n: decodeN }));
    await mark('gc (worker)', await run('noop', { gc: true }));
    await mark(`${decodeN} imported`, await run('import', { n: decodeN }));
    await mark('gc (page)', await run('page-gc'));
    await mark('dataset deleted', await run('idb-delete'));
  }
  await mark('worker drops the Files', await run('drop', { gc: true }));
  console.log(JSON.stringify({ n, decodeN, load: loadavg().map((v) => +v.toFixed(2)), rows }));
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
