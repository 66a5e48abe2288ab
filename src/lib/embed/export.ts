/**
 * Files for the TensorFlow Embedding Projector (projector.tensorflow.org → Load): vectors TSV (one row per
 * point, tab-separated, no header), metadata TSV (a header row, then one row per point: with more than one
 * column the Projector requires the header), a sprite sheet (raw RGBA here; the page encodes it as PNG)
 * and the projector config JSON that ties them together. Pure functions: no DOM.
 */

export const PROJECTOR_FILES = { vectors: 'vectors.tsv', metadata: 'metadata.tsv', sprite: 'sprite.png', config: 'projector_config.json' } as const;

/** Tabs and newlines would break the TSV grid. */
function cell(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

/** (n, dim) vectors; 9 significant digits round-trip any float32 exactly. */
export function vectorsTsv(features: Float32Array, n: number, dim: number): string {
  if (features.length < n * dim) throw new RangeError(`vectorsTsv: ${features.length} values for n·dim = ${n * dim}`);
  const lines = new Array<string>(n);
  const row = new Array<string>(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) row[d] = String(Number(features[i * dim + d].toPrecision(9)));
    lines[i] = row.join('\t');
  }
  return lines.join('\n') + '\n';
}

export interface MetaRow {
  label: string;
  file: string;
}

/** Metadata rows for the probe set: class name (or 'unlabelled') and the held-out image's name. */
export function probeMetadata(labels: Int32Array | null, indices: Int32Array, classNames: string[]): MetaRow[] {
  return Array.from(indices, (idx, k) => {
    const c = labels ? labels[k] : -1;
    return { label: c >= 0 ? (classNames[c] ?? `class ${c}`) : 'unlabelled', file: `heldout_${String(idx).padStart(5, '0')}.png` };
  });
}

export function metadataTsv(rows: MetaRow[]): string {
  return ['label\tfile', ...rows.map((r) => `${cell(r.label)}\t${cell(r.file)}`)].join('\n') + '\n';
}

export interface Sprite {
  /** Thumbnails per row and per column (the sheet is square, as the Projector expects). */
  perRow: number;
  cell: number;
  width: number;
  height: number;
  /** (height, width, 4) RGBA bytes. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** The Projector's sprite must fit 8192 px; thumbnails shrink (nearest neighbour) when they would not. */
export const SPRITE_MAX = 8192;

/**
 * Tile n square thumbnails row-major into one square sheet. `get(k)` returns image k as (size, size, 3|4)
 * bytes, or null for a missing image (left transparent).
 */
export function spriteSheet(n: number, size: number, get: (k: number) => ArrayLike<number> | null, channels: 3 | 4 = 4): Sprite {
  if (n < 1 || size < 1) throw new RangeError(`spriteSheet: need n ≥ 1 and size ≥ 1 (got ${n}, ${size})`);
  const perRow = Math.ceil(Math.sqrt(n));
  const c = Math.min(size, Math.floor(SPRITE_MAX / perRow));
  const width = perRow * c, height = width;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let k = 0; k < n; k++) {
    const img = get(k);
    if (!img) continue;
    if (img.length < size * size * channels) throw new RangeError(`spriteSheet: image ${k} has ${img.length} bytes, expected ${size * size * channels}`);
    const ox = (k % perRow) * c, oy = Math.floor(k / perRow) * c;
    for (let y = 0; y < c; y++) {
      const sy = Math.floor((y * size) / c);
      for (let x = 0; x < c; x++) {
        const sx = Math.floor((x * size) / c);
        const s = (sy * size + sx) * channels, o = ((oy + y) * width + ox + x) * 4;
        rgba[o] = img[s];
        rgba[o + 1] = img[s + 1];
        rgba[o + 2] = img[s + 2];
        rgba[o + 3] = channels === 4 ? img[s + 3] : 255;
      }
    }
  }
  return { perRow, cell: c, width, height, rgba };
}

/** projector_config.json for the files above (paths relative to where the user hosts them). */
export function projectorConfig(o: { n: number; dim: number; tensorName?: string; spriteCell?: number | null }): string {
  const emb: Record<string, unknown> = {
    tensorName: o.tensorName ?? 'InfoMax Lab r1 features',
    tensorShape: [o.n, o.dim],
    tensorPath: PROJECTOR_FILES.vectors,
    metadataPath: PROJECTOR_FILES.metadata,
  };
  if (o.spriteCell) emb.sprite = { imagePath: PROJECTOR_FILES.sprite, singleImageDim: [o.spriteCell, o.spriteCell] };
  return JSON.stringify({ embeddings: [emb] }, null, 2) + '\n';
}
