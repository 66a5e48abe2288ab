/**
 * Embedding worker: a thin switch over EmbedSession. Work runs in ~40 ms slices with a macrotask between
 * them, so a new snapshot or a parameter change is handled within one slice, and neither training nor the
 * page waits on t-SNE.
 */
import { EmbedSession } from '../embed/session';
import type { FromEmbed, ToEmbed } from '../embed/protocol';

const post = (m: FromEmbed, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const session = new EmbedSession(post);
let scheduled = false;

function pump(): void {
  scheduled = false;
  try {
    if (session.work(40)) schedule();
  } catch (e) {
    post({ type: 'error', message: `Embedding failed: ${(e as Error).message}` });
  }
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(pump, 0);
}

self.onmessage = (e: MessageEvent<ToEmbed>) => {
  const m = e.data;
  try {
    switch (m.type) {
      case 'data':
        session.setData(m.snapshot);
        break;
      case 'params':
        session.setParams(m.params);
        break;
      case 'clear':
        session.clear();
        break;
    }
    if (session.busy) schedule();
  } catch (err) {
    post({ type: 'error', message: `Embedding failed: ${(err as Error).message}` });
  }
};
