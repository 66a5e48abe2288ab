/**
 * The plan of a folder import, from relative paths and sizes alone (before any file is read): which files
 * are kept, the classes (first sub-folder), the natural order the images are stored in, and the seeded
 * held-out split.
 */
import { rngFor } from '../rng';
import type { SkippedFile, Split } from './store';

export const MAX_FILES = 100_000;
export const DEFAULT_TEST_FRACTION = 0.1;
/** Held-out images each class keeps at least (when it has 15+), so every class is scored on a few. */
export const MIN_HELD_OUT_PER_CLASS = 5;
/** Held-out images of an unlabeled folder at least (when it has 60+): enough photos for a map. */
export const MIN_HELD_OUT_UNLABELED = 20;

/**
 * How many of a group's `n` images to hold out: ~`fraction`, raised to `min` for small groups, but never
 * more than a third (training keeps two thirds) and, from 2 images on, at least one.
 */
export function heldOutCount(n: number, fraction: number, min: number): number {
  if (n < 2 || fraction <= 0) return 0;
  const want = Math.max(Math.round(n * fraction), min);
  return Math.min(n - 1, Math.max(1, Math.min(want, Math.floor(n / 3))));
}

export interface PlannedFile {
  index: number;
  path: string;
  label: number;
  split: Split;
}
export interface FolderPlan {
  name: string;
  classNames: string[];
  items: PlannedFile[];
  skipped: SkippedFile[];
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'icon\r']);

/**
 * Decide classes and splits from relative paths alone (before any decoding). The picked folder's own name
 * is dropped; the first sub-folder below it is the class; files at the top level of a labelled folder are
 * kept with label -1. Per class, a seeded share is held out (see heldOutCount): ~testFraction, but at least
 * MIN_HELD_OUT_PER_CLASS (MIN_HELD_OUT_UNLABELED for a flat folder) where the class is big enough.
 */
export function planFolder(files: { path: string; size: number }[], seed: number, testFraction = DEFAULT_TEST_FRACTION): FolderPlan {
  const skipped: SkippedFile[] = [];
  const parts = files.map((f) => f.path.split('/').filter(Boolean));
  const first = parts[0]?.[0];
  const rooted = parts.length > 0 && parts.every((p) => p.length >= 2 && p[0] === first);
  const rel = rooted ? parts.map((p) => p.slice(1)) : parts;
  const name = rooted ? first! : 'Imported photos';

  const keep: number[] = [];
  files.forEach((f, i) => {
    const base = rel[i][rel[i].length - 1] ?? '';
    if (rel[i].some((seg) => seg.startsWith('.') || seg === '__MACOSX') || SYSTEM_FILES.has(base.toLowerCase())) {
      skipped.push({ name: f.path, reason: 'hidden or system file' });
    } else if (f.size === 0) {
      skipped.push({ name: f.path, reason: 'empty file (0 bytes)' });
    } else if (keep.length >= MAX_FILES) {
      skipped.push({ name: f.path, reason: `over the limit of ${MAX_FILES.toLocaleString('en')} files in one import` });
    } else keep.push(i);
  });
  keep.sort((a, b) => natural.compare(files[a].path, files[b].path) || (files[a].path < files[b].path ? -1 : 1));

  const labeled = keep.some((i) => rel[i].length >= 2);
  const classNames = labeled ? [...new Set(keep.filter((i) => rel[i].length >= 2).map((i) => rel[i][0]))].sort(natural.compare) : [];
  const classOf = new Map(classNames.map((c, k) => [c, k]));
  const items: PlannedFile[] = keep.map((i) => ({
    index: i,
    path: files[i].path,
    label: labeled && rel[i].length >= 2 ? classOf.get(rel[i][0])! : -1,
    split: 'train',
  }));

  const rng = rngFor(seed, 'import-split');
  const groups = new Map<number, PlannedFile[]>();
  for (const it of items) {
    const g = groups.get(it.label);
    if (g) g.push(it);
    else groups.set(it.label, [it]);
  }
  for (const label of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(label)!;
    const nTest = heldOutCount(g.length, testFraction, labeled ? MIN_HELD_OUT_PER_CLASS : MIN_HELD_OUT_UNLABELED);
    if (nTest === 0) continue;
    const order = rng.shuffle(Array.from(g.keys())) as number[];
    for (let k = 0; k < nTest; k++) g[order[k]].split = 'test';
  }
  return { name, classNames, items, skipped };
}
