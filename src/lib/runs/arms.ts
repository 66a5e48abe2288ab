/**
 * Arms of a comparison: runs whose settings are identical except for the seed are repeats of one arm.
 * Charts draw each arm's mean with a band over its seeds, and tables give mean ± s.d. per arm.
 */
import { CONFIG_KEYS, type Config } from '../config';
import { finalScores, type FinalScores } from './compare';
import type { EvalKey, RunData } from './serialize';
import { summarize, type Summary } from './stats';

export interface Arm {
  /** The settings every run of the arm shares (seed is that of the first run). */
  config: Config;
  runs: RunData[];
  seeds: number[];
}

/** Settings that define an arm: every key except the seed. */
export const ARM_KEYS = CONFIG_KEYS.filter((k) => k !== 'seed');

export function sameArm(a: Config, b: Config): boolean {
  return ARM_KEYS.every((k) => a[k] === b[k]);
}

/** Group runs into arms, in order of each arm's first run; runs keep their order inside an arm. */
export function groupArms(runs: RunData[]): Arm[] {
  const arms: Arm[] = [];
  for (const r of runs) {
    const arm = arms.find((x) => sameArm(x.config, r.config));
    if (arm) {
      arm.runs.push(r);
      arm.seeds.push(r.config.seed);
    } else arms.push({ config: r.config, runs: [r], seeds: [r.config.seed] });
  }
  return arms;
}

/** Final scores of every run of an arm, summarised per score (linear and kNN from the last evaluation). */
export type ArmScores = Record<Exclude<keyof FinalScores, 'step'>, Summary> & { step: number; evals: Partial<Record<EvalKey, Summary>> };

export function armScores(arm: Arm): ArmScores {
  const fs = arm.runs.map(finalScores);
  const keys = [
    'bound1t5', 'bound1t7', 'bound5t5', 'nceEst1t5', 'nceEst1t7', 'nceEst5t5', 'loss', 'probeAcc',
    'knnTrained', 'knnRandom', 'knnPixels', 'linTrained', 'linRandom', 'linPixels', 'probeOnline', 'stepsPerSec',
  ] as const satisfies readonly Exclude<keyof FinalScores, 'step'>[];
  const out = Object.fromEntries(keys.map((k) => [k, summarize(fs.map((f) => f[k]))])) as Record<(typeof keys)[number], Summary>;
  // every held-out score the runs carry (trained, random encoder, …): the last evaluation of each run
  const evalKeys = Object.keys(arm.runs[0]?.evals.cols ?? {}) as EvalKey[];
  const evals = Object.fromEntries(evalKeys.map((k) => [k, summarize(arm.runs.map((r) => r.evals.cols[k].at(-1) ?? NaN))]));
  return { ...out, step: Math.max(0, ...fs.map((f) => f.step)), evals };
}

/** A short readable name for an arm: its shared run name without the seed part. */
export function armName(arm: Arm): string {
  const names = arm.runs.map((r) => r.name.replace(/\s*·?\s*seed\s+\d+\s*$/i, '').trim());
  return names.every((n) => n === names[0]) ? names[0] : names.join(' / ');
}

/** One run of a comparison's plan: its arm (0 = A), seed, full config and name. */
export interface PlannedRun {
  arm: number;
  seed: number;
  config: Config;
  name: string;
}

/**
 * Seeds base, base+1, … for every arm, interleaved arm by arm (A s1, B s1, A s2, B s2, …): the order
 * the runs train in, so a slow-down or a thermal change hits every arm alike.
 */
export function interleave(arms: Config[], names: string[], seeds: number): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (let s = 0; s < seeds; s++)
    arms.forEach((c, arm) => {
      const seed = c.seed + s;
      out.push({ arm, seed, config: { ...c, seed }, name: `${names[arm]} · seed ${seed}` });
    });
  return out;
}
