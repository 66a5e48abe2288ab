/**
 * The benches' way to run the app's import worker on files a page holds, with the app's protocol
 * (importJob.svelte.ts): paths and sizes first, File handles as the worker asks for them. Resolves with the
 * job's last message (done, cancelled or error); the worker is ended.
 */
import { answerNeed, folderJob, type FromImportWorker, type ToImportWorker } from '../src/lib/data/importProtocol';

type Job = Omit<Extract<ToImportWorker, { type: 'folder' }>, 'type' | 'paths' | 'sizes'>;

export async function importThroughWorker(picked: { path: string; file: File }[], job: Job): Promise<Exclude<FromImportWorker, { type: 'progress' | 'need' }>> {
  const w = new Worker(new URL('../src/lib/worker/import.worker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise((res) => {
      w.onmessage = (ev: MessageEvent<FromImportWorker>) => {
        const m = ev.data;
        if (m.type === 'need') w.postMessage(answerNeed(picked, m));
        else if (m.type !== 'progress') res(m);
      };
      w.postMessage(folderJob(picked, job));
    });
  } finally {
    w.terminate();
  }
}
