/**
 * Tags worker: a thin switch over train/tagged.ts, so that the cross-validated softmax fits on raw pixels
 * (thousands of dimensions) never stall the page.
 */
import { scoreTags, type FromTags, type ToTags } from '../train/tagged';

const post = (m: FromTags) => (self as unknown as Worker).postMessage(m);

self.onmessage = (e: MessageEvent<ToTags>) => {
  const m = e.data;
  try {
    post({ type: 'scores', id: m.id, scores: scoreTags(m) });
  } catch (err) {
    post({ type: 'error', id: m.id, message: `Scoring the tags failed: ${(err as Error).message}` });
  }
};
