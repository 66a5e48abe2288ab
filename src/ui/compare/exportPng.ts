/**
 * One PNG of the whole comparison: a legend of the runs, then every chart and scatter canvas inside
 * `root`, stacked with its caption. Drawn from the canvases the page already rendered.
 */
import { RUN_LETTERS, runColor } from './runColors';

export async function comparisonPng(root: HTMLElement, runNames: string[], title: string): Promise<Blob> {
  const css = (n: string, d: string) => getComputedStyle(document.documentElement).getPropertyValue(n).trim() || d;
  const bg = css('--bg', '#111'), fg = css('--fg', '#eee');
  const figures = [...root.querySelectorAll('figure')].map((f) => ({ caption: f.querySelector('figcaption')?.textContent?.trim() ?? '', canvas: f.querySelector('canvas') })).filter((f): f is { caption: string; canvas: HTMLCanvasElement } => !!f.canvas && f.canvas.width > 0);
  if (!figures.length) throw new Error('nothing to export yet: pick two runs first');
  const pad = 16, capH = 26, headH = 40 + 24 * runNames.length;
  // charts full width in one column; scatters side by side in one row at the end
  const wide = figures.filter((f) => f.canvas.width > 400);
  const small = figures.filter((f) => f.canvas.width <= 400);
  const width = Math.max(800, ...wide.map((f) => f.canvas.width), small.reduce((a, f) => a + f.canvas.width + pad, pad)) + 2 * pad;
  const smallH = small.length ? Math.max(...small.map((f) => f.canvas.height)) + capH + pad : 0;
  const height = headH + wide.reduce((a, f) => a + f.canvas.height + capH + pad, 0) + smallH + pad;
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = fg;
  ctx.font = 'bold 20px system-ui, sans-serif';
  ctx.fillText(title, pad, 28);
  ctx.font = '15px system-ui, sans-serif';
  runNames.forEach((n, i) => {
    ctx.fillStyle = runColor(i);
    ctx.fillRect(pad, 44 + 24 * i, 14, 14);
    ctx.fillStyle = fg;
    ctx.fillText(`${RUN_LETTERS[i]}  ${n}`, pad + 22, 56 + 24 * i);
  });
  let y = headH;
  const draw = (f: { caption: string; canvas: HTMLCanvasElement }, x: number) => {
    ctx.fillStyle = fg;
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillText(f.caption.slice(0, 140), x, y + 18);
    ctx.drawImage(f.canvas, x, y + capH);
  };
  for (const f of wide) {
    draw(f, pad);
    y += f.canvas.height + capH + pad;
  }
  let x = pad;
  for (const f of small) {
    draw(f, x);
    x += f.canvas.width + pad;
  }
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}
