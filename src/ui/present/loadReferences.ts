/** Fetch the reference runs shipped in static/reference/ (same origin, offline-cached like the app). */
import { parseReference, type ReferenceRun } from '../../lib/train/reference';

export const REFERENCE_FILES = ['reference/tiny.json'];

export async function loadReferences(base = './'): Promise<{ runs: ReferenceRun[]; errors: string[] }> {
  const runs: ReferenceRun[] = [];
  const errors: string[] = [];
  for (const f of REFERENCE_FILES) {
    try {
      const res = await fetch(base + f);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      runs.push(parseReference(await res.json()));
    } catch (e) {
      errors.push(`${f}: ${(e as Error).message}`);
    }
  }
  return { runs, errors };
}
