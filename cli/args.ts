/** `--key value` command-line flags into config overrides, typed through the config schema. */
import { SCHEMA, isNumericKey, type Config, type PresetName } from '../src/lib/config';

export interface CliArgs {
  preset?: PresetName;
  overrides: Partial<Record<keyof Config, unknown>>;
  extra: Record<string, string>;
}

export function parseArgs(argv: string[], extraKeys: string[] = []): CliArgs {
  const out: CliArgs = { overrides: {}, extra: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}" (flags look like --steps 50)`);
    const [k, inline] = a.slice(2).split('=', 2);
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`flag --${k} needs a value`);
    if (k === 'preset') out.preset = v as PresetName;
    else if (extraKeys.includes(k)) out.extra[k] = v;
    else if (Object.prototype.hasOwnProperty.call(SCHEMA, k)) {
      out.overrides[k as keyof Config] = isNumericKey(k as keyof Config) ? Number(v) : v;
    } else throw new Error(`unknown flag --${k}; config keys are: ${Object.keys(SCHEMA).join(', ')}`);
  }
  return out;
}
