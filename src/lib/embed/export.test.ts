import { describe, expect, it } from 'vitest';
import { metadataTsv, probeMetadata, projectorConfig, spriteSheet, vectorsTsv } from './export';

describe('Projector export', () => {
  it('writes one vector row per point with dim columns, round-tripping float32', () => {
    const f = Float32Array.from({ length: 5 * 3 }, (_, t) => Math.fround(Math.sin(t) * 1e3));
    const tsv = vectorsTsv(f, 5, 3);
    const rows = tsv.trimEnd().split('\n');
    expect(rows).toHaveLength(5);
    rows.forEach((r, i) => {
      const cols = r.split('\t').map(Number);
      expect(cols).toHaveLength(3);
      cols.forEach((v, d) => expect(Math.fround(v)).toBe(f[i * 3 + d]));
    });
  });

  it('writes a header plus one metadata row per point, with class names and file names', () => {
    const rows = probeMetadata(new Int32Array([1, -1, 0]), new Int32Array([7, 42, 1234]), ['cat', 'dog\tbig']);
    const tsv = metadataTsv(rows).trimEnd().split('\n');
    expect(tsv).toEqual(['label\tfile', 'dog big\theldout_00007.png', 'unlabelled\theldout_00042.png', 'cat\theldout_01234.png']);
  });

  it('tiles thumbnails into a square sprite at the right offsets', () => {
    const size = 2;
    const img = (k: number) => Uint8Array.from({ length: size * size * 3 }, () => k * 10 + 1);
    const s = spriteSheet(5, size, img, 3);
    expect([s.perRow, s.cell, s.width, s.height]).toEqual([3, 2, 6, 6]);
    const px = (x: number, y: number) => Array.from(s.rgba.subarray((y * s.width + x) * 4, (y * s.width + x) * 4 + 4));
    expect(px(0, 0)).toEqual([1, 1, 1, 255]);
    expect(px(5, 1)).toEqual([21, 21, 21, 255]); // image 2: third column, first row
    expect(px(3, 3)).toEqual([41, 41, 41, 255]); // image 4: middle of the second row
    expect(px(5, 5)).toEqual([0, 0, 0, 0]); // no image 8: transparent
  });

  it('shrinks thumbnails to stay within the 8192 px sprite limit', () => {
    const s = spriteSheet(10000, 96, () => null);
    expect(s.width).toBeLessThanOrEqual(8192);
    expect(s.cell).toBe(81);
  });

  it('names every file in the projector config', () => {
    const cfg = JSON.parse(projectorConfig({ n: 200, dim: 32, spriteCell: 32 }));
    expect(cfg.embeddings[0]).toEqual({
      tensorName: 'InfoMax Lab r1 features', tensorShape: [200, 32], tensorPath: 'vectors.tsv', metadataPath: 'metadata.tsv',
      sprite: { imagePath: 'sprite.png', singleImageDim: [32, 32] },
    });
  });
});
