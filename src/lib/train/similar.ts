/**
 * "More like this": the photos nearest to a held-out photo among all imported photos (both splits), under
 * one of three feature sources, so the map and its neighbours can be compared at the press of a key:
 *   trained  r1 features of the encoder being trained (cached per training step),
 *   random   r1 features of a freshly initialised encoder of the same shape (the same seed stream as the
 *            random-encoder baseline, so it is that encoder), cached for the run,
 *   pixels   the images themselves (embed/pixels.ts: at most 32 px a side, mean image subtracted).
 * Similarity is cosine. Up to SEARCH_MAX photos are searched (evenly spread over the dataset beyond that);
 * a dataset streamed from storage searches its resident samples (data/stream.ts: RESIDENT_TRAIN + RESIDENT_TEST).
 */
import { gather, imageBytes, residentIndices, type Dataset } from '../data/dataset';
import { rngFor } from '../rng';
import { createTrainer } from './step';
import { pixelFeatures } from '../embed/pixels';
import { normalizeRows } from '../embed/knn';
import type { TrainingRun } from './loop';
import { encodeImages, nClassesOf } from './heldout';
import { refreshForEval } from './bnrefresh';

export type FeatureSource = 'trained' | 'random' | 'pixels';
export const FEATURE_SOURCES: readonly FeatureSource[] = ['trained', 'random', 'pixels'];
/** Photos searched at most for one query (features of all of them are held while a run lasts). */
export const SEARCH_MAX = 20_000;

export interface PhotoRef {
  split: 'train' | 'test';
  index: number;
}

export interface SimilarResult {
  source: FeatureSource;
  query: PhotoRef;
  /** Best first, the query itself left out. */
  items: (PhotoRef & { similarity: number })[];
  /** Photos searched. */
  searched: number;
  /** Photos imported (both splits): more than `searched` beyond SEARCH_MAX or when the dataset is streamed. */
  total: number;
  /** (items, size, size, 3) bytes of the matches. */
  pixels: Uint8Array;
  size: number;
}

/**
 * Which photos are searched: all of both splits; beyond `max`, the photos on the map (`probe`, held-out
 * indices) plus an even spread of the rest up to `max`.
 */
export function searchSet(d: Pick<Dataset, 'train' | 'test'>, probe: ArrayLike<number>, max = SEARCH_MAX): PhotoRef[] {
  // A streamed dataset (data/stream.ts) searches the photos it holds in memory: its seeded resident samples.
  if (d.train.resident || d.test.resident) {
    const refs = (split: 'train' | 'test') => Array.from(residentIndices(d[split]), (index): PhotoRef => ({ split, index }));
    return [...refs('test'), ...refs('train')].slice(0, max);
  }
  const all = d.train.count + d.test.count;
  const at = (g: number): PhotoRef => (g < d.test.count ? { split: 'test', index: g } : { split: 'train', index: g - d.test.count });
  if (all <= max) return Array.from({ length: all }, (_, g) => at(g));
  const onMap = new Set(Array.from(probe));
  const out: PhotoRef[] = Array.from(onMap, (i) => ({ split: 'test' as const, index: i }));
  const rest = Math.max(0, max - out.length);
  for (let k = 0; k < rest; k++) {
    const g = Math.floor((k * all) / rest);
    if (!(g < d.test.count && onMap.has(g))) out.push(at(g));
  }
  return out;
}

export class PhotoSearch {
  readonly #run: TrainingRun;
  readonly #refs: PhotoRef[];
  #trained: { step: number; x: Float32Array } | null = null;
  #random: Float32Array | null = null;
  #pixels: { x: Float32Array; dim: number } | null = null;
  #randomProbe: Float32Array | null = null;

  constructor(run: TrainingRun) {
    this.#run = run;
    this.#refs = searchSet(run.data, run.probeSet);
  }

  get searched(): number {
    return this.#refs.length;
  }

  #bySplit(): { test: Int32Array; train: Int32Array; order: number[] } {
    const test: number[] = [], train: number[] = [], order: number[] = [];
    for (const r of this.#refs) order.push(r.split === 'test' ? test.push(r.index) - 1 : -(train.push(r.index)));
    return { test: Int32Array.from(test), train: Int32Array.from(train), order };
  }

  /** (searched, dim) features, unit rows, in #refs order. */
  async #encodeAll(encoder?: Parameters<typeof encodeImages>[3]): Promise<Float32Array> {
    const run = this.#run, D = run.cfg.nRkhs;
    const { test, train, order } = this.#bySplit();
    const ft = test.length ? await encodeImages(run, 'test', test, encoder) : new Float32Array(0);
    const fr = train.length ? await encodeImages(run, 'train', train, encoder) : new Float32Array(0);
    const x = new Float32Array(order.length * D);
    order.forEach((o, k) => x.set(o >= 0 ? ft.subarray(o * D, (o + 1) * D) : fr.subarray((-o - 1) * D, -o * D), k * D));
    return normalizeRows(x, order.length, D, x); // in place: cosine similarity becomes a dot product
  }

  /** A random encoder of the same shape: the baseline's seed stream, so it is the baseline's encoder. */
  async #withRandom<T>(fn: (enc: Parameters<typeof encodeImages>[3]) => Promise<T>): Promise<T> {
    const run = this.#run;
    const rand = createTrainer(run.cfg, nClassesOf(run.data), rngFor(run.cfg.seed, 'random-baseline'));
    try {
      refreshForEval(run, rand); // as the evaluation's baseline (bnrefresh.ts)
      return await fn(rand);
    } finally {
      rand.dispose();
    }
  }

  async #features(source: FeatureSource): Promise<{ x: Float32Array; dim: number }> {
    const run = this.#run;
    if (source === 'trained') {
      if (this.#trained?.step !== run.step) this.#trained = { step: run.step, x: await this.#encodeAll() };
      return { x: this.#trained.x, dim: run.cfg.nRkhs };
    }
    if (source === 'random') {
      this.#random ??= await this.#withRandom((enc) => this.#encodeAll(enc));
      return { x: this.#random, dim: run.cfg.nRkhs };
    }
    const S = run.cfg.imageSize, per = imageBytes(S), n = this.#refs.length;
    if (!this.#pixels) {
      const bytes = new Uint8Array(n * per);
      this.#refs.forEach((r, k) => gather(run.data[r.split], [r.index], bytes.subarray(k * per, (k + 1) * per)));
      const p = pixelFeatures(bytes, n, S);
      this.#pixels = { x: normalizeRows(p.x, n, p.dim, p.x), dim: p.dim };
    }
    return this.#pixels;
  }

  /** Random-encoder r1 features of the probe set (for the map's "random encoder" key). (n, nRkhs) */
  async randomProbeFeatures(): Promise<Float32Array> {
    this.#randomProbe ??= await this.#withRandom((enc) => encodeImages(this.#run, 'test', this.#run.probeSet, enc));
    return this.#randomProbe.slice();
  }

  /** The `count` photos most similar to held-out photo `testIndex` under `source`. */
  async similar(source: FeatureSource, testIndex: number, count: number): Promise<SimilarResult> {
    const run = this.#run;
    if (!Number.isInteger(testIndex) || testIndex < 0 || testIndex >= run.data.test.count)
      throw new RangeError(`more like this: held-out photo ${testIndex} does not exist (0…${run.data.test.count - 1})`);
    const { x, dim } = await this.#features(source);
    const n = this.#refs.length;
    const q = this.#refs.findIndex((r) => r.split === 'test' && r.index === testIndex);
    if (q < 0) throw new RangeError(`more like this: held-out photo ${testIndex} is not on the map`);
    const qv = x.subarray(q * dim, (q + 1) * dim);
    const sims = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[i * dim + d] * qv[d];
      sims[i] = s;
    }
    const order = Array.from({ length: n }, (_, i) => i).filter((i) => i !== q);
    order.sort((a, b) => sims[b] - sims[a] || a - b);
    const top = order.slice(0, Math.max(0, count));
    const items = top.map((i) => ({ ...this.#refs[i], similarity: sims[i] }));
    const per = imageBytes(run.cfg.imageSize);
    const pixels = new Uint8Array(items.length * per);
    items.forEach((it, k) => gather(run.data[it.split], [it.index], pixels.subarray(k * per, (k + 1) * per)));
    return { source, query: { split: 'test', index: testIndex }, items, searched: n, total: run.data.train.count + run.data.test.count, pixels, size: run.cfg.imageSize };
  }
}
