/**
 * Thumbnails for the embedding view: the training worker sends the probe set's held-out images once as
 * (n, size, size, 3) bytes; this turns them into an index → ImageData lookup (made lazily, cached).
 */
export interface ThumbBytes {
  size: number;
  indices: Int32Array;
  pixels: Uint8Array;
}

export type ThumbnailFn = (index: number) => ImageData | null;

export function thumbnailLookup(thumbs: ThumbBytes | null): ThumbnailFn {
  if (!thumbs) return () => null;
  const { size, indices, pixels } = thumbs;
  const where = new Map<number, number>();
  indices.forEach((idx, k) => where.set(idx, k));
  const cache = new Map<number, ImageData>();
  return (index) => {
    const k = where.get(index);
    if (k === undefined) return null;
    let img = cache.get(index);
    if (!img) {
      img = new ImageData(size, size);
      const src = k * size * size * 3;
      for (let p = 0; p < size * size; p++) {
        img.data[p * 4] = pixels[src + p * 3];
        img.data[p * 4 + 1] = pixels[src + p * 3 + 1];
        img.data[p * 4 + 2] = pixels[src + p * 3 + 2];
        img.data[p * 4 + 3] = 255;
      }
      cache.set(index, img);
    }
    return img;
  };
}

/** Save a Blob as a file through a temporary object URL. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
