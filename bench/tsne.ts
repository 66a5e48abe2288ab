/**
 * t-SNE benchmark: wall time for the iterations, final KL(P‖Q) and trustworthiness (k = 10), for the
 * Barnes–Hut method at n = 2,000 and 10,000 (dim 64) and the exact O(n²) method at n = 2,000 in the same
 * run. Exact at 10,000 is not run: its dense P alone is 10⁸ float64 (800 MB, more than a browser tab
 * should hold) and each iteration visits 5·10⁷ pairs, 25× the n = 2,000 cost (about ten minutes here).
 * Run alone with `npx tsx bench/tsne.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { gaussianClusters } from '../src/lib/embed/clusters';
import { affinitiesDense } from '../src/lib/embed/affinity';
import { initTsne, klDivergence, tsneKL, tsneStep, type TsneMethod } from '../src/lib/embed/tsne';
import { trustworthiness } from '../src/lib/embed/trustworthiness';

interface Row {
  method: TsneMethod;
  n: number;
  dim: number;
  iterations: number;
  setupSeconds: number;
  iterateSeconds: number;
  totalSeconds: number;
  /** KL against the method's own P (sparse for Barnes–Hut). */
  kl: number;
  /** KL against the dense P, comparable across methods (n ≤ 2,000 only). */
  klDense: number | null;
  trustworthiness: number;
}

function runOne(method: TsneMethod, n: number, dim: number, iterations: number): Row {
  const { data } = gaussianClusters(n, dim, 10, 42, 4);
  const t0 = performance.now();
  const s = initTsne(data, n, dim, { perplexity: 30, iterations, seed: 1, method });
  const t1 = performance.now();
  tsneStep(s, iterations);
  const t2 = performance.now();
  const kl = tsneKL(s);
  const klDense = n <= 2000 ? (method === 'exact' ? kl : klDivergence(affinitiesDense(data, n, dim, 30), s.Y, n, 2)) : null;
  // Sampled queries (exact ranks over all n) keep the score itself affordable at n = 10,000.
  const trust = trustworthiness(data, s.Y, n, dim, 2, 10, n > 2000 ? { sample: 2000, seed: 1 } : {});
  return { method, n, dim, iterations, setupSeconds: (t1 - t0) / 1000, iterateSeconds: (t2 - t1) / 1000, totalSeconds: (t2 - t0) / 1000, kl, klDense, trustworthiness: trust };
}

export default async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const iterations = opts.quick ? 100 : 1000;
  const small = opts.quick ? 500 : 2000, large = opts.quick ? 1000 : 10000;
  const plan: [TsneMethod, number][] = [['barnes-hut', small], ['exact', small], ['barnes-hut', large]];
  const rows: Row[] = [];
  for (const [method, n] of plan) {
    const r = runOne(method, n, 64, iterations);
    rows.push(r);
    console.log(
      `t-SNE ${r.method.padEnd(10)} n=${String(n).padStart(5)} dim=64 iters=${iterations}: ` +
        `${r.totalSeconds.toFixed(1)} s (P ${r.setupSeconds.toFixed(1)} s + iterations ${r.iterateSeconds.toFixed(1)} s), ` +
        `KL(P‖Q) ${r.kl.toFixed(3)} nats${r.klDense !== null && r.method !== 'exact' ? ` (vs dense P ${r.klDense.toFixed(3)})` : ''}, trustworthiness@10 ${r.trustworthiness.toFixed(4)}`,
    );
  }
  const exact = rows.find((r) => r.method === 'exact');
  if (opts.quick) return { tsne: rows };
  const scale = (large / small) ** 2;
  console.log(
    `t-SNE exact at n=${large} skipped: dense P needs ${((large * large * 8) / 1e6).toFixed(0)} MB and each iteration ${scale}× the n=${small} pairs ` +
      `(≈ ${exact ? ((exact.totalSeconds * scale) / 60).toFixed(0) : '?'} min extrapolated).`,
  );
  return { tsne: rows };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench({ quick: process.argv.includes('--quick') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
