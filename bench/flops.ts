/**
 * Useful FLOPs of one AMDIM training step, counted analytically from the config: every k×k and 1×1
 * convolution of the encoder and heads (2·Ho·Wo·k²·Cin·Cout per image forward, ×3 for forward + input
 * gradient + filter gradient) and the NCE score matmuls (2·B·(B·t²)·D per directed pair, ×3). Elementwise
 * ops, BatchNorm, pooling and Adam are left out: they are memory-bound and small in FLOPs.
 */
import type { Config } from '../src/lib/config';

type Layer = { k: number; out: number; cin: number; cout: number };

/** The encoder's matmul-shaped layers for one image, mirroring src/lib/model/encoder.ts. */
export function encoderLayers(cfg: Pick<Config, 'ndf' | 'nRkhs' | 'nDepth' | 'imageSize'>): Layer[] {
  const { ndf, nRkhs, nDepth, imageSize } = cfg;
  const L: Layer[] = [];
  const res = (cin: number, cout: number, k: number, size: number, s: number) => {
    const out = Math.floor((size - k) / s) + 1;
    L.push({ k, out, cin, cout }, { k: 1, out, cin: cout, cout }); // conv_k×k, then the closing 1×1
    return out;
  };
  const block = (cin: number, cout: number, k: number, s: number, size: number) => {
    let o = res(cin, cout, k, size, s);
    for (let d = 1; d < nDepth; d++) o = res(cout, cout, 1, o, 1);
    return o;
  };
  let size = imageSize - 2;
  L.push({ k: 3, out: size, cin: 3, cout: ndf });
  size = res(ndf, ndf, 1, size, 1);
  const widths = imageSize === 64 ? [ndf, 2 * ndf, 4 * ndf, 8 * ndf] : [ndf, 2 * ndf, 4 * ndf];
  const ks = imageSize === 64 ? [4, 4, 2] : [4, 2];
  ks.forEach((k, i) => (size = block(widths[i], widths[i + 1], k, 2, size)));
  const w7 = widths[widths.length - 1];
  for (const t of [7, 5]) L.push({ k: 1, out: t, cin: w7, cout: nRkhs }, { k: 1, out: t, cin: nRkhs, cout: nRkhs }, { k: 1, out: t, cin: w7, cout: nRkhs });
  size = block(w7, w7, 3, 1, size); // 5
  size = block(w7, w7, 3, 1, size); // 3
  res(w7, nRkhs, 3, size, 1); // 1
  return L;
}

export function stepFlops(cfg: Pick<Config, 'ndf' | 'nRkhs' | 'nDepth' | 'imageSize' | 'batchSize'>): { encoder: number; nce: number; total: number } {
  const perImage = encoderLayers(cfg).reduce((s, l) => s + 2 * l.out * l.out * l.k * l.k * l.cin * l.cout, 0);
  const B = cfg.batchSize, D = cfg.nRkhs;
  const encoder = 3 * perImage * 2 * B; // both views go through the encoder
  const nce = 3 * 2 * (2 * B * (B * 25) * D + 2 * B * (B * 49) * D + 2 * B * (B * 25) * D); // 3 pairs × 2 directions
  return { encoder, nce, total: encoder + nce };
}
