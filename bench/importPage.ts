/**
 * Browser side of the import benchmark (bundled by bench/import.ts). Makes JPEG photos for the bench to
 * write to disk where Pillow is missing; then, for the files chosen in its input, times the real import
 * worker (src/lib/worker/import.worker.ts: sniff, decode, crop, resize, IndexedDB) against createImageBitmap
 * alone (on the first `baselineFiles` of them, just before and just after), with the same number of files
 * in flight, in the same browser.
 */
import { defaultConcurrency } from '../src/lib/data/importer';
import { deleteDataset, newId } from '../src/lib/data/store';
import { importThroughWorker } from './importWorkerRun';

export interface PageResult {
  images: number;
  meanJpegKB: number;
  concurrency: number;
  decodeOnlyPerSec: number[];
  importPerSec: number;
  imported: number;
  skipped: number;
}

let tile: OffscreenCanvas | null = null;

/** JPEG photos number `ids` (w×h, quality q), base64, for the bench to write to disk like a real folder. */
async function makeJpegs(ids: number[], w: number, h: number, q: number): Promise<string[]> {
  if (!tile) {
    // a noise tile gives the JPEGs photo-like entropy, so decoding costs what a real photo costs
    tile = new OffscreenCanvas(256, 256);
    const tctx = tile.getContext('2d')!;
    const noise = tctx.createImageData(256, 256);
    let s = 1;
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = i % 4 === 3 ? 255 : (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    tctx.putImageData(noise, 0, 0);
  }
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  const out: string[] = [];
  for (const i of ids) {
    const g = ctx.createLinearGradient(0, 0, w, h);
    g.addColorStop(0, `hsl(${(i * 37) % 360} 70% 45%)`);
    g.addColorStop(1, `hsl(${(i * 37 + 140) % 360} 60% 60%)`);
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, h);
    for (let k = 0; k < 12; k++) {
      ctx.fillStyle = `hsl(${(i * 13 + k * 29) % 360} 80% ${30 + ((k * 7) % 50)}%)`;
      ctx.beginPath();
      const r = w / 2048; // the shapes scale with the photo
      ctx.ellipse((i * 97 + k * 211) % w, (i * 53 + k * 157) % h, r * (60 + ((k * 41) % 300)), r * (40 + ((k * 67) % 200)), k, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 0.25;
    ctx.fillStyle = ctx.createPattern(tile, 'repeat')!;
    ctx.fillRect(0, 0, w, h);
    ctx.globalAlpha = 1;
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: q });
    const url = await new Promise<string>((res) => {
      const r = new FileReader();
      r.onload = () => res(r.result as string);
      r.readAsDataURL(blob);
    });
    out.push(url.slice(url.indexOf(',') + 1));
  }
  return out;
}

/** The baseline: createImageBitmap alone in a worker, in order with `k` in flight, like the importer. */
const DECODE_ONLY = `
onmessage = async (ev) => {
  const { files, k } = ev.data;
  const t0 = performance.now();
  const window = [];
  let next = 0;
  while (next < files.length || window.length) {
    while (window.length < k && next < files.length) window.push(createImageBitmap(files[next++], { imageOrientation: 'from-image' }));
    const bmp = await window.shift();
    bmp.close();
  }
  postMessage((performance.now() - t0) / 1000);
};`;

async function decodeOnly(files: File[], k: number): Promise<number> {
  const w = new Worker(URL.createObjectURL(new Blob([DECODE_ONLY], { type: 'text/javascript' })));
  const sec = await new Promise<number>((res) => {
    w.onmessage = (ev) => res(ev.data as number);
    w.postMessage({ files, k });
  });
  w.terminate();
  return files.length / sec;
}

async function importOnce(files: File[], size: number, concurrency?: number): Promise<{ perSec: number; imported: number; skipped: number }> {
  const id = newId('bench');
  const t0 = performance.now();
  const out = await importThroughWorker(files.map((file) => ({ path: `bench/${file.name}`, file })), { jobId: 1, id, size, seed: 1, concurrency });
  const sec = (performance.now() - t0) / 1000;
  if (out.type !== 'done') throw new Error(`import failed: ${JSON.stringify(out)}`);
  await deleteDataset(id);
  return { perSec: files.length / sec, imported: out.manifest.train + out.manifest.test, skipped: out.manifest.skipped.length };
}

/** Times the photos chosen in the page's file input (files on disk, as a user's folder would be). */
async function run(opts: { size: number; baselineFiles: number }): Promise<PageResult> {
  const input = document.getElementById('files') as HTMLInputElement;
  const files = Array.from(input.files ?? []);
  const sample = files.slice(0, opts.baselineFiles);
  const k = defaultConcurrency(navigator.hardwareConcurrency);
  await decodeOnly(files.slice(0, Math.min(8, files.length)), k); // warm the decoder threads
  const before = await decodeOnly(sample, k);
  console.log('phase:import-start');
  const imp = await importOnce(files, opts.size);
  console.log('phase:import-end');
  const after = await decodeOnly(sample, k);
  return {
    images: files.length,
    meanJpegKB: Math.round(files.reduce((s, f) => s + f.size, 0) / files.length / 1024),
    concurrency: k, decodeOnlyPerSec: [before, after], importPerSec: imp.perSec, imported: imp.imported, skipped: imp.skipped,
  };
}

(globalThis as unknown as { makeJpegs: typeof makeJpegs }).makeJpegs = makeJpegs;
(globalThis as unknown as { runImportBench: typeof run }).runImportBench = run;
console.log('bench:ready');

