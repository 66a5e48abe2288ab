/** Opening a comparison link: which of its runs this browser already has, and whether it has the dataset. */
import { getManifest, type RunMeta } from '../../lib/data/store';
import { decodeCompareLink, sameConfig, type CompareLink } from '../../lib/runs/compare';
import { describeMeta } from '../../lib/runs/serialize';

export interface OpenedLink {
  link: CompareLink;
  /** Stored run id per link run (the newest with exactly that config), or null when missing. */
  found: (string | null)[];
  datasetMissing: boolean;
}

export async function openLink(hash: string, metas: RunMeta[]): Promise<OpenedLink> {
  const link = decodeCompareLink(hash);
  const configs = metas.map((m) => ({ id: m.id, config: describeMeta(m).config }));
  // metas are newest first, so find() picks the latest matching run
  const found = link.configs.map((c) => configs.find((m) => m.config && sameConfig(m.config, c))?.id ?? null);
  const datasetMissing = link.configs.some((c) => c.dataset !== 'embedded') && !(await getManifest(link.dataset));
  return { link, found, datasetMissing };
}
