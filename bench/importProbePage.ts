/**
 * Browser side of the import memory probe (bench/importProbe.ts): steps the node side runs one at a time,
 * measuring Chromium's processes between them, so the browser process's growth during an import can be
 * split into the file selection, the File handles sent to the worker, the header reads, the IndexedDB
 * chunk writes and the decoding. The worker below is a plain script with gc() exposed (--expose-gc).
 */
import { DatasetWriter, deleteDataset, newId } from '../src/lib/data/store';
import { importThroughWorker } from './importWorkerRun';

const PROBE = `
let files = [];
let held = [];
const gcNow = async () => { for (let i = 0; i < 3; i++) { self.gc?.(); await new Promise((r) => setTimeout(r, 50)); } };
onmessage = async (ev) => {
  const m = ev.data;
  if (m.step === 'files') files = m.files;
  else if (m.step === 'slices') for (const f of files) held.push(new Uint8Array(await f.slice(0, 65536).arrayBuffer()).length);
  else if (m.step === 'slice-only') { for (const f of files) held.push(f.slice(0, 4096).size); held = []; }
  else if (m.step === 'slices4k') for (const f of files) held.push(new Uint8Array(await f.slice(0, 4096).arrayBuffer()).length);
  else if (m.step === 'stream-head') for (const f of files) { const r = f.stream().getReader(); held.push((await r.read()).value.length); await r.cancel(); }
  else if (m.step === 'whole') for (const f of files) held.push(new Uint8Array(await f.arrayBuffer()).length);
  else if (m.step === 'bitmaps') for (const f of files) (await createImageBitmap(f, 80, 0, 480, 480, { resizeWidth: 64, resizeHeight: 64 })).close();
  else if (m.step === 'decode') {
    const win = []; let next = 0; const n = Math.min(m.n, files.length);
    while (next < n || win.length) {
      while (win.length < 8 && next < n) win.push(createImageBitmap(files[next++], { imageOrientation: 'from-image' }));
      (await win.shift()).close();
    }
  }
  else if (m.step === 'resize') {
    // the importer's decode: crop to the centred square and resize inside createImageBitmap
    const win = []; let next = 0; const n = Math.min(m.n, files.length);
    const o = { imageOrientation: 'from-image', resizeWidth: 64, resizeHeight: 64, resizeQuality: 'high' };
    while (next < n || win.length) {
      while (win.length < 8 && next < n) win.push(createImageBitmap(files[next++], 80, 0, 480, 480, o));
      (await win.shift()).close();
    }
  }
  else if (m.step === 'drop') { files = []; held = []; }
  if (m.gc) await gcNow();
  postMessage('ok');
};`;

let worker: Worker | null = null;

async function step(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  if (!worker) worker = new Worker(URL.createObjectURL(new Blob([PROBE], { type: 'text/javascript' })));
  const w = worker;
  await new Promise<void>((res) => {
    w.onmessage = () => res();
    w.postMessage({ step: name, ...extra });
  });
}

/**
 * Runs one probe step: 'files' (clone the chosen Files into the worker), 'slices' / 'slices4k' / 'slice-only' /
 * 'stream-head' / 'whole' / 'bitmaps' (bench/importSlices.ts), 'decode', 'idb', 'import', 'gc', 'drop', 'terminate'.
 */
async function probe(name: string, opts: { n?: number; chunks?: number; gc?: boolean; variants?: string[] } = {}): Promise<void> {
  const files = Array.from((document.getElementById('files') as HTMLInputElement).files ?? []);
  if (name === 'files') return step('files', { files, gc: opts.gc });
  if (name === 'idb') {
    // the store's own writer, 3 MiB chunks of noise (no decoding): what IndexedDB costs the browser process
    const per = 64 * 64 * 3;
    const w = new DatasetWriter({ id: newId('probe'), name: 'probe', source: 'folder', size: 64, classNames: [] });
    const px = new Uint8Array(per);
    for (let i = 0; i < (opts.chunks ?? 1) * 256; i++) {
      px[i % per] = i & 255;
      await w.add('train', px, -1);
    }
    const m = await w.finish([]);
    (globalThis as unknown as { lastProbeId: string }).lastProbeId = m.id;
    return;
  }
  if (name === 'import') {
    // the real import worker on the first n chosen files
    const id = newId('probe');
    const t0 = performance.now();
    const res = await importThroughWorker(files.slice(0, opts.n).map((file) => ({ path: `p/${file.name}`, file })), { jobId: 1, id, size: 64, seed: 1 });
    console.log(`probe:import ${res.type} ${(((opts.n ?? 0) / (performance.now() - t0)) * 1000).toFixed(1)} images/s`);
    (globalThis as unknown as { lastProbeId: string }).lastProbeId = id;
    return;
  }
  if (name === 'stages') {
    // the pipeline's stages one by one on the same first n files
    const rates: Record<string, number> = {};
    for (const variant of (opts.variants ?? ['bare', 'slice', 'sniff+bitmap', 'sniff+canvas', 'import', 'bare'])) {
      const w = new Worker(new URL('./importProbe.worker.ts', import.meta.url), { type: 'module' });
      const s = await new Promise<number>((r) => {
        w.onmessage = (ev) => r(ev.data.s);
        w.postMessage({ files: files.slice(0, opts.n), variant });
      });
      w.terminate();
      rates[variant] = +((opts.n ?? 0) / s).toFixed(1);
      console.log(`probe:stage ${variant} ${rates[variant]} images/s`);
    }
    return;
  }
  if (name === 'terminate') {
    worker?.terminate();
    worker = null;
    return;
  }
  if (name === 'idb-delete') return deleteDataset((globalThis as unknown as { lastProbeId: string }).lastProbeId);
  if (name === 'page-gc') {
    for (let i = 0; i < 3; i++) {
      (globalThis as unknown as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    return step('noop', { gc: true });
  }
  return step(name, { n: opts.n, gc: opts.gc });
}

(globalThis as unknown as { probe: typeof probe }).probe = probe;
console.log('bench:ready');
