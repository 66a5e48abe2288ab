/**
 * What the presenter view (one, global: key P on every page) shows besides the live run: the runs picked
 * on the Compare page, the Embeddings page's latest layout (t-SNE by default), the chart smoothing chosen
 * on the Train page, and the reference run that matches the live one.
 */
import type { RunData } from '../../lib/runs/serialize';
import type { ReferenceRun } from '../../lib/train/reference';

export interface SharedLayout {
  step: number;
  method: 'tsne' | 'umap' | 'pca';
  outDim: 2 | 3;
  /** (n, outDim) */
  coords: Float32Array;
  labels: Int32Array | null;
  n: number;
}

class Shared {
  open = $state(false);
  runs = $state.raw<RunData[]>([]);
  layout = $state.raw<SharedLayout | null>(null);
  /** EMA weight of the Train page's curves; the big numbers use it too. */
  smoothing = $state(0.6);
  references = $state.raw<ReferenceRun[]>([]);
  /** Why the reference runs could not be loaded, if they could not. */
  referenceError = $state<string | null>(null);
  toggle(): void {
    this.open = !this.open;
  }
}

export const shared = new Shared();
