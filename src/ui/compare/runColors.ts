/** One colour per compared run (slot order), and one dash pattern per scale pair, so run and pair never share a cue. */
export const RUN_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2'] as const;
export const RUN_LETTERS = ['A', 'B', 'C', 'D'] as const;
export const PAIR_DASH: Record<'1t5' | '1t7' | '5t5', number[] | undefined> = { '1t5': undefined, '1t7': [8, 4], '5t5': [2, 3] };
export const PAIR_LABEL = { '1t5': '1→5', '1t7': '1→7', '5t5': '5→5' } as const;

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length];
}

export function exportFilename(runs: { name: string }[], ext: string): string {
  const stem = runs.map((r) => r.name.replace(/[^\w.-]+/g, '_').slice(0, 30)).join('_vs_') || 'comparison';
  return `${stem}.${ext}`;
}
