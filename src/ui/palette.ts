/** Colour-blind-safe class palette (Tableau 10), used for labels in every view. */
export const CLASS_COLORS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
] as const;

export function classColor(i: number): string {
  return CLASS_COLORS[((i % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

/** One colour per AMDIM scale pair, matching the CSS variables in theme.css. */
export const PAIR_COLORS = { '1t5': '#e69f00', '1t7': '#56b4e9', '5t5': '#009e73' } as const;

/** One colour per MI estimator, matching theme.css. */
export const ESTIMATOR_COLORS = { infonce: '#0072b2', nwj: '#d55e00', dv: '#cc79a7', js: '#f0e442' } as const;
