/**
 * The user's tags on the held-out photos of the dataset being trained ("label a few"), kept in IndexedDB
 * with the dataset (store.ts loadTags/saveTags), so they survive reloads. Every change is saved at once;
 * a failed save is reported and the tags on screen go back to what is stored.
 */
import { loadTags, saveTags, type PhotoTags } from '../../lib/data/store';
import { pixelFeatures } from '../../lib/embed/pixels';
import { labelSource, type FromTags, type TagScores, type TagSet, type ToTags } from '../../lib/train/tagged';
import type { EmbeddingSnapshot } from '../../lib/train/types';
import type { ThumbBytes } from './thumbs';

export class PhotoTagger {
  #datasetId = $state<string | null>(null);
  #tags = $state.raw<PhotoTags>(new Map());
  #error = $state<string | null>(null);
  #loads = 0;

  get tags(): PhotoTags {
    return this.#tags;
  }
  get error(): string | null {
    return this.#error;
  }
  /** Tag names in use, alphabetical. */
  get names(): string[] {
    return [...new Set(this.#tags.values())].sort();
  }

  /** Show the tags of dataset `id` (null: a dataset that is not stored, e.g. the embedded one). */
  async use(id: string | null): Promise<void> {
    if (id === this.#datasetId) return;
    this.#datasetId = id;
    this.#tags = new Map();
    this.#error = null;
    if (!id) return;
    const load = ++this.#loads;
    try {
      const t = await loadTags(id);
      if (load === this.#loads) this.#tags = t;
    } catch (e) {
      if (load === this.#loads) this.#error = `Could not read the tags: ${(e as Error).message}`;
    }
  }

  /** Tag held-out photo `index` as `name` (an empty name removes its tag). */
  tag(index: number, name: string): Promise<void> {
    const next = new Map(this.#tags);
    if (name.trim()) next.set(index, name.trim());
    else next.delete(index);
    return this.#save(next);
  }

  /** Tag several photos at once (an explicit "tag all in this cluster"). */
  tagAll(indices: ArrayLike<number>, name: string): Promise<void> {
    if (!name.trim()) return Promise.resolve();
    const next = new Map(this.#tags);
    for (let k = 0; k < indices.length; k++) next.set(indices[k], name.trim());
    return this.#save(next);
  }

  remove(index: number): Promise<void> {
    return this.tag(index, '');
  }

  async #save(next: PhotoTags): Promise<void> {
    const id = this.#datasetId;
    if (!id) return;
    const before = this.#tags;
    this.#tags = next;
    this.#error = null;
    try {
      await saveTags(id, next);
    } catch (e) {
      if (id === this.#datasetId) (this.#tags = before), (this.#error = (e as Error).message);
    }
  }
}

/**
 * Scores of the tags on one map, computed in a worker (worker/tags.worker.ts) from the three feature sets
 * of the map's photos: the snapshot's learned features, the random encoder's and the raw pixels (as the
 * map's key 3 shows them). A newer request makes older answers stale; they are dropped.
 */
export class TagScorer {
  #result = $state.raw<{ step: number; scores: TagScores } | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #worker: Worker | null = null;
  #job = 0;
  #jobStep = -1;

  get result() {
    return this.#result;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }

  /** Score `tags` on the map of `snap`; asks for the random features (needRandom) when they are missing. */
  update(tags: TagSet | null, snap: EmbeddingSnapshot | null, random: { indices: Int32Array; dim: number; features: Float32Array } | null, thumbs: ThumbBytes | null, needRandom: () => void): void {
    const id = ++this.#job;
    // `tags` is null for a dataset with folder labels (they score it; tags do not matter there)
    if (!snap || !tags || labelSource(false, tags) !== 'tags') {
      this.#result = null;
      this.#busy = false;
      return;
    }
    if (!random || random.indices.length !== snap.n || random.indices[0] !== snap.indices[0]) return needRandom();
    if (!thumbs || thumbs.indices.length !== snap.n) return;
    const rows = Array.from(tags.positions);
    const take = (x: Float32Array, dim: number) => {
      const out = new Float32Array(rows.length * dim); // (tagged, dim)
      rows.forEach((k, r) => out.set(x.subarray(k * dim, (k + 1) * dim), r * dim));
      return { x: out, dim };
    };
    const px = pixelFeatures(thumbs.pixels, snap.n, thumbs.size);
    const msg: ToTags = {
      type: 'score', id, labels: tags.labels.slice(), classes: tags.classNames.length,
      sets: { trained: take(snap.features, snap.dim), random: take(random.features, random.dim), pixels: take(px.x, px.dim) },
    };
    this.#jobStep = snap.step;
    this.#busy = true;
    this.#error = null;
    this.#workerFor().postMessage(msg, [msg.labels.buffer, msg.sets.trained.x.buffer, msg.sets.random.x.buffer, msg.sets.pixels.x.buffer]);
  }

  #workerFor(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('../../lib/worker/tags.worker.ts', import.meta.url), { type: 'module', name: 'tags' });
    w.onmessage = (e: MessageEvent<FromTags>) => {
      if (e.data.id !== this.#job) return; // tags or features have changed since
      this.#busy = false;
      if (e.data.type === 'scores') this.#result = { step: this.#jobStep, scores: e.data.scores };
      else this.#error = e.data.message;
    };
    w.onerror = (e) => {
      this.#busy = false;
      this.#error = `The tags worker crashed: ${e.message || 'unknown error'}.`;
    };
    return (this.#worker = w);
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}
