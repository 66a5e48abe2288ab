/**
 * The embedding worker's logic, kept free of `self` so Node tests can drive it: holds the latest probe
 * features, computes neighbours and the kNN score once per snapshot, and advances the chosen layout a time
 * slice at a time. A new snapshot of the same probe set continues t-SNE from the current layout (points
 * matched by held-out index), so the picture evolves as the encoder learns instead of starting over.
 */
import { UMAP } from 'umap-js';
import { Rng } from '../rng';
import { kNearest, knnAccuracyFrom, normalizeRows, type Neighbors } from './knn';
import { pca } from './pca';
import { centroidsOf, defaultK, kmeans } from './kmeans';
import { initTsne, tsneCoords, tsneKL, tsneStep, type TsneState } from './tsne';
import type { EmbeddingSnapshot } from '../train/types';
import { DEFAULT_LAYOUT, type FromEmbed, type LayoutParams } from './protocol';

export const KNN_K = 20;
/** Neighbours listed for a pinned point. */
export const SHOW_K = 8;

type Post = (m: FromEmbed, transfer?: Transferable[]) => void;

interface Active {
  step: number;
  coords: () => Float32Array;
  /** Advance one unit (iteration/epoch); false when finished. */
  advance: () => boolean;
  iteration: () => number;
  iterations: number;
  kl: () => number | null;
}

export class EmbedSession {
  #post: Post;
  #params: LayoutParams = { ...DEFAULT_LAYOUT };
  #snap: EmbeddingSnapshot | null = null;
  #unit: Float32Array | null = null; // (n, dim) rows at unit length: cosine geometry, as the kNN score uses
  #nb: Neighbors | null = null;
  #active: Active | null = null;
  #tsne: TsneState | null = null;
  /** Last t-SNE layout by held-out index, to continue from. */
  #prev: { indices: Int32Array; Y: Float64Array; outDim: number } | null = null;
  /** Last clusters (unlabeled data), to warm-start the next ones so cluster numbers persist. */
  #clusters: { indices: Int32Array; assign: Int32Array; k: number } | null = null;

  constructor(post: Post) {
    this.#post = post;
  }

  get params(): LayoutParams {
    return this.#params;
  }

  /** True while a layout still has iterations to run. */
  get busy(): boolean {
    return this.#active !== null;
  }

  clear(): void {
    this.#snap = this.#unit = this.#nb = this.#active = this.#tsne = this.#prev = this.#clusters = null;
  }

  setData(snap: EmbeddingSnapshot): void {
    if (snap.features.length < snap.n * snap.dim) throw new RangeError(`embedding: ${snap.features.length} feature values for n·dim = ${snap.n}·${snap.dim}`);
    if (snap.n < 4) throw new RangeError(`embedding: need at least 4 probe points, got ${snap.n}`);
    this.#keepLayout();
    this.#snap = snap;
    this.#unit = normalizeRows(snap.features, snap.n, snap.dim);
    // One neighbour search serves the score, the pinned-point list and t-SNE's sparse P: on unit rows the
    // Euclidean order is the cosine order (‖a − b‖² = 2 − 2 cos).
    const k = Math.min(snap.n - 1, Math.max(KNN_K, Math.floor(3 * Math.min(this.#params.perplexity, (snap.n - 1) / 3))));
    this.#nb = kNearest(this.#unit, snap.n, snap.dim, k, 'euclidean');
    this.#postNeighbors();
    if (!snap.labels) this.#postClusters();
    this.#start();
  }

  #postClusters(): void {
    const snap = this.#snap!, unit = this.#unit!, n = snap.n, dim = snap.dim;
    const prev = this.#clusters;
    let init: Float64Array | undefined;
    let k = defaultK(n);
    if (prev && prev.indices.length === n && prev.indices.every((v, i) => v === snap.indices[i])) {
      k = prev.k;
      init = centroidsOf(unit, n, dim, prev.assign, k) ?? undefined;
    }
    const r = kmeans(unit, n, dim, k, { seed: this.#params.seed, init });
    this.#clusters = { indices: snap.indices, assign: r.assign, k: r.k };
    const assign = r.assign.slice();
    this.#post({ type: 'clusters', step: snap.step, k: r.k, assign, algorithm: `k-means (k = ${r.k}, k-means++ seeding, cosine)` }, [assign.buffer]);
  }

  setParams(p: LayoutParams): void {
    const old = this.#params;
    if (!(p.perplexity > 0) || !(p.iterations >= 1) || (p.learningRate !== 'auto' && !(p.learningRate > 0)))
      throw new RangeError(`embedding: perplexity, iterations and learning rate must be positive (got ${p.perplexity}, ${p.iterations}, ${p.learningRate})`);
    this.#params = { ...p };
    if (!this.#snap) return;
    // Same method and shape: morph from the current picture; otherwise start that view afresh.
    if (p.method === old.method && p.outDim === old.outDim) this.#keepLayout();
    else this.#prev = null;
    if (p.perplexity !== old.perplexity) this.setData(this.#snap);
    else this.#start();
  }

  #keepLayout(): void {
    if (this.#tsne && this.#snap) this.#prev = { indices: this.#snap.indices, Y: this.#tsne.Y.slice(), outDim: this.#tsne.outDim };
  }

  #postNeighbors(): void {
    const snap = this.#snap!, nb = this.#nb!, n = snap.n;
    const kk = Math.min(KNN_K, nb.k), show = Math.min(SHOW_K, nb.k);
    const cut: Neighbors = { k: kk, indices: new Int32Array(n * kk), values: new Float64Array(n * kk) };
    const neighbors = new Int32Array(n * show), similarity = new Float32Array(n * show);
    for (let i = 0; i < n; i++)
      for (let t = 0; t < kk; t++) {
        const j = nb.indices[i * nb.k + t], cos = 1 - nb.values[i * nb.k + t] / 2;
        cut.indices[i * kk + t] = j;
        cut.values[i * kk + t] = cos;
        if (t < show) (neighbors[i * show + t] = j), (similarity[i * show + t] = cos);
      }
    const knn = snap.labels ? knnAccuracyFrom(cut, snap.labels, 'cosine') : NaN;
    this.#post({ type: 'neighbors', step: snap.step, k: show, neighbors, similarity, knn }, [neighbors.buffer, similarity.buffer]);
  }

  /** The previous layout re-indexed to this snapshot; unseen points start at the centre. */
  #initFromPrev(): Float64Array | null {
    const prev = this.#prev, snap = this.#snap!;
    if (!prev || prev.outDim !== this.#params.outDim) return null;
    const where = new Map<number, number>();
    prev.indices.forEach((idx, k) => where.set(idx, k));
    const D = prev.outDim, Y = new Float64Array(snap.n * D), rng = new Rng(this.#params.seed);
    let found = 0;
    snap.indices.forEach((idx, k) => {
      const p = where.get(idx);
      if (p !== undefined) found++;
      for (let d = 0; d < D; d++) Y[k * D + d] = p !== undefined ? prev.Y[p * D + d] : 1e-4 * rng.normal();
    });
    return found >= snap.n / 2 ? Y : null;
  }

  #start(): void {
    const snap = this.#snap!, p = this.#params, n = snap.n, unit = this.#unit!;
    this.#tsne = null;
    if (p.method === 'pca') {
      const coords = pca(unit, n, snap.dim, Math.min(p.outDim, snap.dim), { seed: p.seed }).projection;
      this.#active = { step: snap.step, coords: () => coords, advance: () => false, iteration: () => 1, iterations: 1, kl: () => null };
    } else if (p.method === 'umap') {
      const rng = new Rng(p.seed);
      const rows = Array.from({ length: n }, (_, i) => Array.from(unit.subarray(i * snap.dim, (i + 1) * snap.dim)));
      const nn = Math.min(15, n - 1, this.#nb!.k + 1);
      const umap = new UMAP({ nComponents: p.outDim, nNeighbors: nn, random: () => rng.next() });
      // Our exact neighbours (self first, as UMAP expects) replace its approximate NN-descent search.
      const nb = this.#nb!;
      umap.setPrecomputedKNN(
        Array.from({ length: n }, (_, i) => [i, ...Array.from(nb.indices.subarray(i * nb.k, i * nb.k + nn - 1))]),
        Array.from({ length: n }, (_, i) => [0, ...Array.from(nb.values.subarray(i * nb.k, i * nb.k + nn - 1), Math.sqrt)]),
      );
      const epochs = umap.initializeFit(rows);
      let epoch = 0;
      this.#active = {
        step: snap.step, iterations: epochs, iteration: () => epoch, kl: () => null,
        coords: () => Float32Array.from(umap.getEmbedding().flat()),
        advance: () => (epoch = umap.step()) < epochs,
      };
    } else {
      const init = this.#initFromPrev();
      const s = initTsne(unit, n, snap.dim, {
        perplexity: p.perplexity, iterations: p.iterations, seed: p.seed, outDim: p.outDim, learningRate: p.learningRate,
        init: init ?? 'pca', neighbors: this.#nb ?? undefined,
      });
      this.#tsne = s;
      this.#active = {
        step: snap.step, iterations: s.iterations, iteration: () => s.iteration, kl: () => tsneKL(s),
        coords: () => tsneCoords(s), advance: () => tsneStep(s, 1) === 1 && s.iteration < s.iterations,
      };
    }
    this.#emit(false);
  }

  /** Run the layout for about `budgetMs`, post the picture, and say whether more work remains. */
  work(budgetMs = 40): boolean {
    const a = this.#active;
    if (!a) return false;
    const t0 = performance.now();
    let more = true;
    while (more && performance.now() - t0 < budgetMs) more = a.advance();
    this.#emit(!more);
    return more;
  }

  #emit(done: boolean): void {
    const a = this.#active!, p = this.#params;
    if (a.iterations <= a.iteration()) done = true;
    const coords = a.coords().slice();
    this.#post(
      { type: 'layout', step: a.step, method: p.method, outDim: p.outDim, iteration: a.iteration(), iterations: a.iterations, coords, kl: done ? a.kl() : null, done },
      [coords.buffer],
    );
    if (done) this.#active = null;
  }
}
