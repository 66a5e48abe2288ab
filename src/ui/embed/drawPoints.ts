/**
 * Canvas drawing of the projected scatter. Points of one colour go into one path (10,000 arcs stay a few
 * ms a frame); in 3-D points are drawn far to near so the nearer ones cover the farther.
 */
import { classColor } from '../palette';

export interface DrawOptions {
  labels: Int32Array | null;
  /** Class drawn at full strength while the others fade; null for all. */
  focusClass: number | null;
  /** Points ringed as the pinned point's neighbours. */
  marked: Int32Array | null;
  pinned: number | null;
  /** Ring colour. */
  ring: string;
}

export function drawPoints(ctx: CanvasRenderingContext2D, p: { n: number; xy: Float32Array; depth: Float32Array | null }, o: DrawOptions): void {
  const { n, xy } = p;
  const { labels, focusClass } = o;
  const r = n > 5000 ? 1.6 : n > 1500 ? 2.2 : 3;
  const colorOf = (k: number) => (labels && labels[k] >= 0 ? classColor(labels[k]) : '#8a8f9c');
  const faint = (k: number) => focusClass !== null && (!labels || labels[k] !== focusClass);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (p.depth) {
    const z = p.depth;
    order.sort((a, b) => z[b] - z[a]);
  } else if (labels) order.sort((a, b) => labels[a] - labels[b]);
  let i = 0;
  while (i < n) {
    const color = colorOf(order[i]), faded = faint(order[i]);
    ctx.beginPath();
    let j = i;
    for (; j < n; j++) {
      const k = order[j];
      if (colorOf(k) !== color || faint(k) !== faded) break;
      ctx.moveTo(xy[2 * k] + r, xy[2 * k + 1]);
      ctx.arc(xy[2 * k], xy[2 * k + 1], r, 0, 2 * Math.PI);
    }
    ctx.globalAlpha = faded ? 0.12 : 0.85;
    ctx.fillStyle = color;
    ctx.fill();
    i = j;
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = o.ring;
  const ring = (k: number, rr: number, w: number) => {
    ctx.lineWidth = w;
    ctx.beginPath();
    ctx.arc(xy[2 * k], xy[2 * k + 1], rr, 0, 2 * Math.PI);
    ctx.stroke();
  };
  if (o.marked) for (const k of o.marked) if (k < n) ring(k, r + 3, 2);
  if (o.pinned !== null && o.pinned < n) ring(o.pinned, r + 7, 3);
}

/** The photo side on screen: smaller when there are many, larger as the user zooms in. CSS pixels. */
export function photoSide(n: number, zoom: number): number {
  const base = Math.max(12, Math.min(40, 220 / Math.sqrt(Math.max(1, n))));
  return Math.min(128, base * Math.pow(zoom, 0.7));
}

/**
 * The map as photos: each point drawn as its thumbnail (from a square-grid atlas of `cell`-px thumbnails,
 * `perRow` per row, point k at cell k) with a frame in its class or cluster colour, so colour is not the
 * only carrier. Far to near in 3-D; the pinned photo and its neighbours are ringed as with dots.
 */
export function drawPhotos(
  ctx: CanvasRenderingContext2D,
  p: { n: number; xy: Float32Array; depth: Float32Array | null },
  atlas: { image: CanvasImageSource; cell: number; perRow: number },
  side: number,
  o: DrawOptions,
): void {
  const { n, xy } = p;
  const { labels, focusClass } = o;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (p.depth) {
    const z = p.depth;
    order.sort((a, b) => z[b] - z[a]);
  }
  const h = side / 2;
  ctx.imageSmoothingEnabled = side < atlas.cell;
  ctx.lineWidth = Math.max(1.5, side / 14);
  for (const k of order) {
    const x = xy[2 * k], y = xy[2 * k + 1];
    ctx.globalAlpha = focusClass !== null && (!labels || labels[k] !== focusClass) ? 0.15 : 1;
    ctx.drawImage(atlas.image, (k % atlas.perRow) * atlas.cell, Math.floor(k / atlas.perRow) * atlas.cell, atlas.cell, atlas.cell, x - h, y - h, side, side);
    ctx.strokeStyle = labels && labels[k] >= 0 ? classColor(labels[k]) : '#8a8f9c';
    ctx.strokeRect(x - h, y - h, side, side);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = o.ring;
  const ring = (k: number, pad: number, w: number) => {
    ctx.lineWidth = w;
    ctx.strokeRect(xy[2 * k] - h - pad, xy[2 * k + 1] - h - pad, side + 2 * pad, side + 2 * pad);
  };
  if (o.marked) for (const k of o.marked) if (k < n) ring(k, 2, 2);
  if (o.pinned !== null && o.pinned < n) ring(o.pinned, 4, 3);
}
