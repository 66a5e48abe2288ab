/**
 * One PNG of the whole comparison, laid out for a slide (1920 px wide): title and arms, the MI and the
 * accuracy overlays side by side with their legends, then the settings that differ, the final scores and
 * the noise verdicts. Charts are the canvases the page already drew; tables are read from the page's
 * tables, so the figure says exactly what the page says.
 */
export interface PngChart {
  title: string;
  canvas: HTMLCanvasElement;
  legend: { label: string; color: string; dash: number[] | null }[];
}
export interface PngTable {
  title: string;
  /** First row is the header. */
  rows: string[][];
}
export interface PngFigure {
  title: string;
  subtitle: string;
  arms: { letter: string; name: string; color: string }[];
  charts: PngChart[];
  tables: PngTable[];
  notes: string[];
}

const W = 1920, PAD = 40, FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Chart canvases, legends and tables out of the compare region of the page. */
export function collectFigure(root: HTMLElement): Pick<PngFigure, 'charts' | 'tables' | 'notes'> {
  const charts = [...root.querySelectorAll<HTMLElement>('[data-testid=compare-mi-chart], [data-testid=compare-acc-chart]')].flatMap((fig) => {
    const canvas = fig.querySelector('canvas');
    if (!canvas || canvas.width === 0) return [];
    // the chart's wrapper carries its legend as data (labels, colours, dash patterns)
    let legend: PngChart['legend'] = [];
    try {
      legend = JSON.parse(fig.closest('[data-legend]')?.getAttribute('data-legend') ?? '[]');
    } catch {
      legend = [];
    }
    return [{ title: fig.querySelector('figcaption')?.textContent?.trim() ?? '', canvas, legend }];
  });
  const tables = [...root.querySelectorAll<HTMLTableElement>('[data-testid=diff-table], [data-testid=scores-table]')].map((t) => ({
    title: t.closest('section')?.querySelector('h3')?.textContent?.trim() ?? '',
    rows: [...t.rows].map((r) => [...r.cells].map((c) => c.textContent?.replace(/\s+/g, ' ').trim() ?? '')),
  }));
  const notes = [...root.querySelectorAll<HTMLElement>('[data-testid=noise-verdict] li, [data-testid=diff-none]')].map((e) => e.textContent?.trim() ?? '');
  return { charts, tables, notes };
}

/** Split text into lines no wider than `max` pixels. */
function wrap(ctx: CanvasRenderingContext2D, text: string, max: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    const next = line ? `${line} ${w}` : w;
    if (ctx.measureText(next).width > max && line) {
      out.push(line);
      line = w;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

export async function comparisonPng(fig: PngFigure): Promise<Blob> {
  if (!fig.charts.length) throw new Error('nothing to export yet: pick runs of two arms first');
  const css = (n: string, d: string) => getComputedStyle(document.documentElement).getPropertyValue(n).trim() || d;
  const bg = css('--bg', '#111'), fg = css('--fg', '#eee'), muted = css('--muted', '#999'), border = css('--border', '#444');
  // A measuring pass with the same drawing code, then the real canvas at the measured height.
  const draw = (ctx: CanvasRenderingContext2D, paint: boolean): number => {
    const text = (s: string, x: number, y: number, size: number, colour = fg, weight = '') => {
      ctx.font = `${weight} ${size}px ${FONT}`;
      ctx.fillStyle = colour;
      if (paint) ctx.fillText(s, x, y);
      return ctx.measureText(s).width;
    };
    if (paint) {
      ctx.fillStyle = bg;
      ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    }
    let y = PAD + 34;
    text(fig.title, PAD, y, 38, fg, 'bold');
    y += 34;
    text(fig.subtitle, PAD, y, 20, muted);
    y += 40;
    let x = PAD;
    for (const a of fig.arms) {
      if (paint) {
        ctx.fillStyle = a.color;
        ctx.fillRect(x, y - 18, 22, 22);
      }
      x += 30;
      x += text(`${a.letter}  ${a.name}`, x, y, 22) + 40;
    }
    y += 30;
    // charts side by side, each scaled to half the width, legend under it
    const colW = (W - 2 * PAD - PAD) / 2;
    let rowH = 0;
    fig.charts.forEach((c, i) => {
      const cx = PAD + i * (colW + PAD);
      let cy = y;
      ctx.font = `600 20px ${FONT}`;
      for (const line of wrap(ctx, c.title, colW)) {
        text(line, cx, cy + 20, 20, fg, '600');
        cy += 26;
      }
      const h = (c.canvas.height / c.canvas.width) * colW;
      if (paint) ctx.drawImage(c.canvas, cx, cy + 6, colW, h);
      cy += h + 16;
      let lx = cx;
      for (const l of c.legend) {
        ctx.font = `17px ${FONT}`;
        const w = ctx.measureText(l.label).width + 56;
        if (lx + w > cx + colW) {
          lx = cx;
          cy += 26;
        }
        if (paint) {
          ctx.strokeStyle = l.color;
          ctx.lineWidth = 3;
          ctx.setLineDash(l.dash ?? []);
          ctx.beginPath();
          ctx.moveTo(lx, cy + 12);
          ctx.lineTo(lx + 34, cy + 12);
          ctx.stroke();
          ctx.setLineDash([]);
        }
        text(l.label, lx + 40, cy + 18, 17);
        lx += w;
      }
      rowH = Math.max(rowH, cy + 30 - y);
    });
    y += rowH + 10;
    // tables side by side (settings that differ is narrow, scores wide)
    const widths = fig.tables.length === 2 ? [0.3, 0.7] : fig.tables.map(() => 1 / fig.tables.length);
    let tx = PAD, tableH = 0;
    fig.tables.forEach((t, ti) => {
      const tw = widths[ti] * (W - 2 * PAD - PAD * (fig.tables.length - 1));
      let ty = y;
      text(t.title, tx, ty + 22, 22, fg, 'bold');
      ty += 34;
      const cols = Math.max(...t.rows.map((r) => r.length), 1);
      const first = Math.min(tw * 0.45, 320);
      const cw = (tw - first) / Math.max(cols - 1, 1);
      for (const [ri, r] of t.rows.entries()) {
        r.forEach((cell, ci) => {
          const cx = ci === 0 ? tx : tx + first + (ci - 1) * cw;
          ctx.font = `${ri === 0 ? 'bold ' : ''}18px ${FONT}`;
          let s = cell;
          const max = (ci === 0 ? first : cw) - 12;
          while (s.length > 1 && ctx.measureText(s).width > max) s = s.slice(0, -2) + '…';
          text(s, cx, ty + 20, 18, fg, ri === 0 ? 'bold' : '');
        });
        if (paint) {
          ctx.fillStyle = border;
          ctx.fillRect(tx, ty + 29, tw, 1);
        }
        ty += 30;
      }
      tableH = Math.max(tableH, ty - y);
      tx += tw + PAD;
    });
    y += tableH + 20;
    ctx.font = `20px ${FONT}`;
    for (const n of fig.notes)
      for (const line of wrap(ctx, `• ${n}`, W - 2 * PAD)) {
        text(line, PAD, y + 20, 20);
        y += 28;
      }
    return y + PAD;
  };
  const out = document.createElement('canvas');
  out.width = W;
  out.height = 100;
  out.height = Math.ceil(draw(out.getContext('2d')!, false));
  draw(out.getContext('2d')!, true);
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}
