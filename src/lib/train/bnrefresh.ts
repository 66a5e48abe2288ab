/**
 * BatchNorm re-estimation before an evaluation, as the official `test_model` does (`_warmup_batchnorm`):
 * a few batches through the encoder (and the MLP classifier) in training mode, no gradient, no weight
 * touched, so eval-mode features use statistics of the current weights instead of running averages that
 * lag behind training. Differences from the official code, and why:
 * - images: a fixed, seeded sample of the training split in the evaluation's own view (unaugmented; 64 px
 *   resized and centre-cropped), not test images: nothing is estimated on the images being scored;
 * - at most REFRESH_IMAGES images (16 batches of the training batch size at most), averaged exactly
 *   (Trainer.refreshBatchNorm), instead of momentum-0.1 updates over 50 batches: a few batches suffice.
 * The random-encoder baseline is refreshed the same way, so both encoders are compared on equal terms.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { gather, imageBytes, residentIndices, type Dataset } from '../data/dataset';
import { normalizeInput, testView } from '../data/resample';
import { rngFor } from '../rng';
import type { Trainer } from './step';

/** Training images per refresh (fewer when the training split is smaller). */
export const REFRESH_IMAGES = 256;
/** At most this many refresh batches (the cost of small batches is mostly per call). */
export const REFRESH_BATCHES = 16;

/**
 * The refresh batches: indices into the training split, a seeded sample (the same at every evaluation of a
 * run; of a streamed split, drawn from its resident sample): whole batches of cfg.batchSize images (the
 * batch the statistics are normalised over in training), as many as fit in `images`, at most
 * REFRESH_BATCHES, at least one.
 */
export function refreshBatches(d: Dataset, cfg: Pick<Config, 'seed' | 'batchSize'>, images = REFRESH_IMAGES): Int32Array[] {
  // A split streamed from storage (data/stream.ts) offers its resident sample, the images held in memory.
  const all = residentIndices(d.train);
  if (all.length < 2) return [];
  const B = Math.max(2, Math.min(cfg.batchSize, all.length));
  const count = Math.max(1, Math.min(REFRESH_BATCHES, Math.floor(images / B), Math.floor(all.length / B)));
  rngFor(cfg.seed, 'bn-refresh').shuffle(all);
  return Array.from({ length: count }, (_, k) => all.slice(k * B, (k + 1) * B));
}

/** Re-estimates every BatchNorm of `trainer` on the refresh batches of `run`'s training split. */
export function refreshForEval(run: { cfg: Config; data: Dataset }, trainer: Pick<Trainer, 'refreshBatchNorm'>): void {
  const S = run.cfg.imageSize;
  const batches = refreshBatches(run.data, run.cfg).map((idx) => {
    const bytes = gather(run.data.train, idx, new Uint8Array(idx.length * imageBytes(S)));
    // The evaluation's view (heldout.ts encodeImages): [0, 1], 64 px resized to 70 and centre-cropped, STL-10 normalisation.
    return tf.tidy(() => normalizeInput(testView(tf.tensor4d(bytes, [idx.length, S, S, 3], 'int32').toFloat().div(255) as tf.Tensor4D))) as tf.Tensor4D;
  });
  try {
    if (batches.length) trainer.refreshBatchNorm(batches);
  } finally {
    tf.dispose(batches);
  }
}
