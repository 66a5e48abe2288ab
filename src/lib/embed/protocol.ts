/**
 * Messages between the page and the embedding worker (one tag, `type`, both directions). Big arrays move
 * with transfer lists. Positions in `coords`/`neighbors` are probe-set positions (0…n−1); `indices` maps
 * them to held-out images.
 */
import type { EmbeddingSnapshot } from '../train/types';

export type LayoutMethod = 'tsne' | 'pca' | 'umap';

export interface LayoutParams {
  method: LayoutMethod;
  outDim: 2 | 3;
  perplexity: number;
  /** t-SNE step size; 'auto' = max(n / 48, 50). */
  learningRate: number | 'auto';
  /** t-SNE iterations per snapshot (UMAP runs its own epoch schedule). */
  iterations: number;
  seed: number;
}

export const DEFAULT_LAYOUT: LayoutParams = { method: 'tsne', outDim: 2, perplexity: 30, learningRate: 'auto', iterations: 500, seed: 0 };

export type ToEmbed =
  | { type: 'data'; snapshot: EmbeddingSnapshot }
  | { type: 'params'; params: LayoutParams }
  /** Forget the data and the layout (a new training run). */
  | { type: 'clear' };

export type FromEmbed =
  | {
      type: 'layout';
      /** Training step of the features laid out. */
      step: number;
      method: LayoutMethod;
      outDim: 2 | 3;
      iteration: number;
      iterations: number;
      coords: Float32Array; // (n, outDim)
      /** KL(P‖Q) in nats, sent with the final t-SNE layout only (it costs O(n²)). */
      kl: number | null;
      done: boolean;
    }
  /** Nearest neighbours in feature space (cosine), best first, and the kNN score computed from them. */
  | { type: 'neighbors'; step: number; k: number; neighbors: Int32Array /* (n, k) */; similarity: Float32Array /* (n, k) */; knn: number }
  /**
   * Without labels: clusters of the features (k-means, k-means++ seeding from the layout seed, on unit
   * rows), warm-started from the previous snapshot's clusters so their numbers (and names) stay put.
   */
  | { type: 'clusters'; step: number; k: number; assign: Int32Array /* (n) */; algorithm: string }
  | { type: 'error'; message: string };
