/**
 * A comparison as one wide CSV: one row per step, one column per metric × arm × seed, each header naming
 * its arm, seed, metric and unit, so the file stands alone in a spreadsheet. Blank where a run logged
 * nothing at that step (held-out scores come only every 'Evaluate every' steps).
 */
import type { Arm } from './arms';
import { EVAL_KEYS, METRIC_KEYS, type RunData } from './serialize';

/** The unit each logged value is stored in (MI and losses in nats whatever the page shows). */
export function unitOf(key: string): string {
  if (/^nceEst/.test(key)) return 'nats; NCE estimate, not a bound';
  if (/^bound/.test(key)) return 'nats; image-level InfoNCE lower bound';
  if (/^(loss|mi)|^reg$|^total$|^probeLoss$/.test(key)) return 'nats';
  if (key === 'knnK') return 'neighbours';
  if (key === 'heldOut' || key === 'trainUsed') return 'images';
  if (key === 'linConverged') return '1 = converged';
  if (/acc$|^lin|^knn|^probeOnline$/i.test(key)) return 'fraction 0-1';
  if (key === 'lr') return 'learning rate';
  if (key === 'stepsPerSec') return 'steps/s';
  if (key === 'imagesPerSec') return 'images/s';
  if (key === 'time') return 's';
  return '';
}

/**
 * One CSV cell: numbers as they are (blank when not finite); text quoted around separators, and defused
 * when a spreadsheet would run it as a formula (=, +, -, @, tab or CR first: OWASP's CSV injection advice).
 */
export const cell = (v: string | number) => {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const t = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

interface Column {
  header: string;
  run: RunData;
  kind: 'metric' | 'eval';
  key: string;
}

/** `letters[i]` names arm i (A, B, …); `names[i]` is its readable name. */
export function comparisonCsv(arms: Arm[], letters: readonly string[], names: string[]): string {
  const columns: Column[] = [];
  arms.forEach((arm, i) =>
    arm.runs.forEach((run) => {
      const who = `${letters[i] ?? i + 1}: ${names[i] ?? ''} | seed ${run.config.seed}`;
      for (const key of METRIC_KEYS) columns.push({ header: `${who} | ${key} [${unitOf(key)}]`, run, kind: 'metric', key });
      for (const key of EVAL_KEYS) columns.push({ header: `${who} | ${key} held-out [${unitOf(key)}]`, run, kind: 'eval', key });
    }),
  );
  const steps = [...new Set(arms.flatMap((a) => a.runs.flatMap((r) => [...r.metrics.step, ...r.evals.step])))].sort((a, b) => a - b);
  // per run and series: step → row index, so each cell is one lookup
  const index = new Map<string, Map<number, number>>();
  const rowOf = (run: RunData, kind: 'metric' | 'eval') => {
    const id = `${kind}|${run.id}`;
    let m = index.get(id);
    if (!m) index.set(id, (m = new Map((kind === 'metric' ? run.metrics.step : run.evals.step).map((s, i) => [s, i]))));
    return m;
  };
  const lines = [['step', ...columns.map((c) => c.header)].map(cell).join(',')];
  for (const s of steps) {
    const row = [String(s)];
    for (const c of columns) {
      const i = rowOf(c.run, c.kind).get(s);
      const col = c.kind === 'metric' ? c.run.metrics.cols[c.key as (typeof METRIC_KEYS)[number]] : c.run.evals.cols[c.key as (typeof EVAL_KEYS)[number]];
      row.push(i === undefined ? '' : cell(col[i]));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}
