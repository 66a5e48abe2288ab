/// <reference lib="webworker" />
/**
 * Variants of the import pipeline on the same files (bench/importProbe.ts): each adds one stage, so the
 * gap between bare decoding and the import can be split into its parts. 8 files in flight, in order.
 */
import { decodeToRgb } from '../src/lib/data/decode';
import { arraySource } from '../src/lib/data/folderSource';
import { prepareImage, importFolder, type Decoder } from '../src/lib/data/importer';
import { PixelBudget, DECODE_BUDGET_PIXELS } from '../src/lib/data/importPace';
import { DatasetWriter, deleteDataset, newId } from '../src/lib/data/store';

const scope = self as unknown as DedicatedWorkerGlobalScope;
async function windowed(files: File[], k: number, fn: (f: File) => Promise<unknown>): Promise<void> {
  const win: Promise<unknown>[] = [];
  let next = 0;
  while (next < files.length || win.length) {
    while (win.length < k && next < files.length) win.push(fn(files[next++]));
    await win.shift();
  }
}
const bitmapOnly: Decoder = async (blob, size, shown) => {
  const side = Math.min(shown!.width, shown!.height);
  const b = await createImageBitmap(blob, (shown!.width - side) >> 1, (shown!.height - side) >> 1, side, side, { imageOrientation: 'from-image', resizeWidth: size, resizeHeight: size, resizeQuality: 'high' });
  b.close();
  return new Uint8Array(size * size * 3);
};
scope.onmessage = async (ev: MessageEvent<{ files: File[]; variant: string }>) => {
  const { files, variant } = ev.data;
  const t0 = performance.now();
  const budget = new PixelBudget(DECODE_BUDGET_PIXELS);
  if (variant === 'bare') await windowed(files, 8, async (f) => (await createImageBitmap(f, { imageOrientation: 'from-image' })).close());
  else if (variant === 'slice') await windowed(files, 8, async (f) => new Uint8Array(await f.slice(0, 65536).arrayBuffer()));
  else if (variant === 'sniff+bitmap') await windowed(files, 8, (f) => prepareImage(f, 64, bitmapOnly, budget));
  else if (variant === 'sniff+canvas') await windowed(files, 8, (f) => prepareImage(f, 64, decodeToRgb, budget));
  else if (variant === 'crop+resize') await windowed(files, 8, (f) => bitmapOnly(f, 64, { width: 640, height: 480 }));
  else if (variant === 'full-then-crop') await windowed(files, 8, async (f) => {
    const full = await createImageBitmap(f, { imageOrientation: 'from-image' });
    const b = await createImageBitmap(full, 80, 0, 480, 480, { resizeWidth: 64, resizeHeight: 64, resizeQuality: 'high' });
    full.close();
    b.close();
  });
  else if (variant === 'whole+blob') await windowed(files, 8, async (f) => {
    const buf = await f.arrayBuffer();
    await bitmapOnly(new Blob([buf]), 64, { width: 640, height: 480 });
  });
  else if (variant === 'imagedecoder') await windowed(files, 8, async (f) => {
    const buf = await f.arrayBuffer();
    const dec = new (globalThis as any).ImageDecoder({ data: buf, type: 'image/jpeg' });
    const { image } = await dec.decode();
    const b = await createImageBitmap(image, 80, 0, 480, 480, { resizeWidth: 64, resizeHeight: 64, resizeQuality: 'high' });
    image.close(); dec.close(); b.close();
  });
  else if (variant === 'slice4k') await windowed(files, 8, async (f) => new Uint8Array(await f.slice(0, 4096).arrayBuffer()));
  else if (variant === 'slice32') await windowed(files, 32, async (f) => new Uint8Array(await f.slice(0, 65536).arrayBuffer()));
  else if (variant === 'sniff4k+bitmap') await windowed(files, 8, async (f) => {
    await f.slice(0, 4096).arrayBuffer();
    await bitmapOnly(f, 64, { width: 640, height: 480 });
  });
  else if (variant === 'pipelined') {
    // headers read up to 32 ahead, decodes 8 in flight
    const heads: Promise<ArrayBuffer>[] = [];
    let h = 0;
    const win: Promise<unknown>[] = [];
    let next = 0;
    while (next < files.length || win.length) {
      while (h < files.length && h < next + 32) heads.push(files[h++].slice(0, 65536).arrayBuffer());
      while (win.length < 8 && next < files.length) {
        const f = files[next];
        const head = heads[next++];
        win.push(head.then(() => bitmapOnly(f, 64, { width: 640, height: 480 })));
      }
      await win.shift();
    }
  }
  else if (variant === 'write' || variant.startsWith('write+decode')) {
    // the store's writer alone in a worker (noise images), or beside decoding that keeps the pixels unused
    const w = new DatasetWriter({ id: newId('probe'), name: 'probe', source: 'folder', size: 64, classNames: [] });
    const px = new Uint8Array(64 * 64 * 3);
    let x = 1;
    const rand = () => {
      for (let k = 0; k < px.length; k++) px[k] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      return px;
    };
    if (variant === 'write') for (let i = 0; i < files.length; i++) {
      px[i % px.length] = i & 255;
      await w.add('train', px, -1);
    }
    else await windowed(files, 8, async (f) => {
      const r = await prepareImage(f, 64, decodeToRgb, budget);
      await w.add('train', variant.endsWith('rand') ? rand() : variant.endsWith('real') ? (r as { pixels: Uint8Array }).pixels : px, -1);
    });
    const m = await w.finish([]);
    const t = performance.now();
    await deleteDataset(m.id);
    scope.postMessage({ s: (t - t0) / 1000 });
    return;
  }
  else if (variant.startsWith('write-rand')) {
    // incompressible images (as photos are): IndexedDB stores each chunk as a Blob
    const w = new DatasetWriter({ id: newId('probe'), name: 'probe', source: 'folder', size: 64, classNames: [] });
    const px = new Uint8Array(64 * 64 * 3);
    let x = 1;
    for (let i = 0; i < files.length; i++) {
      for (let k = 0; k < px.length; k++) px[k] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      await w.add('train', px, -1);
      if (variant === 'write-rand-gc' && i % 256 === 255) (self as unknown as { gc?: () => void }).gc?.();
    }
    const m = await w.finish([]);
    const t = performance.now();
    if (!variant.endsWith('keep')) await deleteDataset(m.id);
    scope.postMessage({ s: (t - t0) / 1000 });
    return;
  }
  else if (variant === 'import') {
    const id = newId('probe');
    await importFolder({ id, size: 64, seed: 1, source: arraySource(files.map((file) => ({ path: `p/${file.name}`, file }))), decode: decodeToRgb, concurrency: 8 });
    const t = performance.now();
    await deleteDataset(id);
    scope.postMessage({ s: (t - t0) / 1000 });
    return;
  }
  scope.postMessage({ s: (performance.now() - t0) / 1000 });
};
