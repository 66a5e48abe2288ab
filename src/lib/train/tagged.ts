/**
 * "Label a few": scores from the user's own tags on the held-out photos of a dataset that has no usable
 * folder labels (a flat folder, or one with a single sub-folder). Folder labels always win: tags only
 * matter where `isLabeled` says there is nothing to score with.
 *
 * The tagged photos are scored by k-fold cross-validation among themselves (there is no other labelled
 * set): rows sorted by (class, map position) go to fold r mod K, K = min(TAG_FOLDS, n), so each class is
 * spread over the folds; each fold is scored by evaluate.ts's own classifiers (standardised with the other
 * folds' statistics, kNN by cosine, fitted softmax regression) trained on the other folds. Every tagged
 * photo is predicted exactly once, and the accuracy is over those n predictions. The same folds serve the
 * trained encoder, the random encoder and raw pixels.
 * kNN's k is 20 clamped to the photos of the smallest tag in the training folds, not to all of them: with
 * few tags a vote over every other photo is decided by how many photos each tag has (leave-one-out on two
 * tags of ten photos would put 9 of a photo's own tag against 10 of the other, always wrong).
 */
import { KNN_K, scoreFeatures, threeWayPoint } from './evaluate';
import type { EvalPoint } from './types';

/** Folds of the cross-validation (leave-one-out when there are this many tags or fewer). */
export const TAG_FOLDS = 5;
/** Tags a class needs before scores are computed: with two, every training fold still holds one. */
export const MIN_PER_CLASS = 2;

export type LabelSource = 'folders' | 'tags' | 'none';

/** The tagged photos on one map. */
export interface TagSet {
  /** Tag names in alphabetical order: class c is classNames[c]. */
  classNames: string[];
  /** Map (probe-set) positions of the tagged photos, sorted by (class, position). */
  positions: Int32Array;
  /** Class of each row of `positions`. */
  labels: Int32Array;
  /** Tags per class. */
  counts: number[];
  /** Tags on held-out photos that are not on this map (not used). */
  offMap: number;
}

/** Which labels score a run: folder labels when the dataset has them, else the user's tags when there are enough. */
export function labelSource(labeled: boolean, tags: Pick<TagSet, 'counts'> | null): LabelSource {
  if (labeled) return 'folders';
  return tags && tagShortfall(tags) === null ? 'tags' : 'none';
}

/** The tags that fall on the map whose positions hold held-out images `probe` (tags: held-out index → name). */
export function tagSet(probe: ArrayLike<number>, tags: ReadonlyMap<number, string>): TagSet {
  const classNames = [...new Set(tags.values())].sort();
  const cls = new Map(classNames.map((c, i) => [c, i]));
  const rows: [number, number][] = [];
  let onMap = 0;
  for (let k = 0; k < probe.length; k++) {
    const name = tags.get(probe[k]);
    if (name === undefined) continue;
    rows.push([cls.get(name)!, k]);
    onMap++;
  }
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const counts = classNames.map(() => 0);
  for (const [c] of rows) counts[c]++;
  return {
    classNames,
    positions: Int32Array.from(rows, (r) => r[1]),
    labels: Int32Array.from(rows, (r) => r[0]),
    counts,
    offMap: tags.size - onMap,
  };
}

/** What is missing before tags can be scored, in words; null when there are enough. */
export function tagShortfall(s: Pick<TagSet, 'counts'>): string | null {
  const ready = s.counts.filter((c) => c >= MIN_PER_CLASS).length;
  if (ready >= 2 && s.counts.every((c) => c >= MIN_PER_CLASS)) return null;
  if (s.counts.length < 2) return `Tag photos of at least two kinds (${MIN_PER_CLASS} or more of each) to score the features.`;
  return `Each tag needs at least ${MIN_PER_CLASS} photos before the features can be scored.`;
}

/** Fold of each of n rows (rows already sorted by class, so each class is dealt round the folds). */
export function foldsOf(n: number, folds = TAG_FOLDS): { fold: Int32Array; K: number } {
  const K = Math.max(1, Math.min(folds, n));
  return { fold: Int32Array.from({ length: n }, (_, r) => r % K), K };
}

export interface CrossValidated {
  /** Fractions of the n tagged photos predicted right. */
  knn: number;
  linear: number;
  n: number;
  /** The smallest and largest k kNN used over the folds (20 unless the smallest tag has fewer training photos). */
  k: number;
  kMax: number;
  folds: number;
  /** Every fold's softmax fit converged. */
  converged: boolean;
}

/** Rows `rows` of x (n, dim). */
function pick(x: Float32Array, dim: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(x.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/**
 * Cross-validated kNN and softmax accuracy on n tagged rows x (n, dim) with labels (rows sorted by class,
 * see foldsOf).
 */
export function crossValidate(x: Float32Array, dim: number, labels: Int32Array, classes: number, folds = TAG_FOLDS): CrossValidated {
  const n = labels.length;
  if (x.length < n * dim) throw new RangeError(`crossValidate: ${x.length} values for ${n} rows of ${dim}`);
  const { fold, K } = foldsOf(n, folds);
  let knnRight = 0, linRight = 0, k = Infinity, kMax = 0, converged = true;
  for (let f = 0; f < K; f++) {
    const tr: number[] = [], te: number[] = [];
    for (let r = 0; r < n; r++) (fold[r] === f ? te : tr).push(r);
    if (!tr.length || !te.length) continue;
    const per = new Array<number>(classes).fill(0);
    for (const r of tr) per[labels[r]]++;
    const kf = Math.max(1, Math.min(KNN_K, ...per.filter((c) => c > 0)));
    const s = scoreFeatures(
      { x: pick(x, dim, tr), n: tr.length, labels: Int32Array.from(tr, (r) => labels[r]) },
      { x: pick(x, dim, te), n: te.length, labels: Int32Array.from(te, (r) => labels[r]) },
      dim,
      classes,
      { k: kf },
    );
    // accuracy = right / te.length exactly, so the counts come back whole
    knnRight += Math.round(s.knn * te.length);
    linRight += Math.round(s.linear * te.length);
    k = Math.min(k, s.k);
    kMax = Math.max(kMax, s.k);
    converged &&= s.fit.converged;
  }
  return { knn: n ? knnRight / n : NaN, linear: n ? linRight / n : NaN, n, k: Number.isFinite(k) ? k : 0, kMax, folds: K, converged };
}

export type TagScores = Record<'trained' | 'random' | 'pixels', CrossValidated>;

/** The three-way comparison on tags as an evaluation point (verdict.ts and the accuracy table read it). */
export function tagPoint(step: number, s: TagScores): EvalPoint {
  const converged = s.trained.converged && s.random.converged && s.pixels.converged;
  return threeWayPoint(step, { heldOut: s.trained.n, trainUsed: s.trained.n, probeOnline: NaN, converged }, s);
}

/** Messages of the page ↔ tags worker (worker/tags.worker.ts): the tagged rows of each feature set. */
export type ToTags = {
  type: 'score';
  id: number;
  /** Class per row (rows sorted by class, see tagSet). */
  labels: Int32Array;
  classes: number;
  /** (n, dim) features of the tagged photos under each source. */
  sets: Record<keyof TagScores, { x: Float32Array; dim: number }>;
};
export type FromTags = { type: 'scores'; id: number; scores: TagScores } | { type: 'error'; id: number; message: string };

/** Cross-validate every feature set (what the worker runs). */
export function scoreTags(m: ToTags): TagScores {
  const cv = (k: keyof TagScores) => crossValidate(m.sets[k].x, m.sets[k].dim, m.labels, m.classes);
  return { trained: cv('trained'), random: cv('random'), pixels: cv('pixels') };
}
