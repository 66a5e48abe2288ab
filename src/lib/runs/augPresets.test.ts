import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, DEFAULTS, SCHEMA, diffKeys, validate, type Config } from '../config';
import { AUG_KEYS, AUG_PRESETS, augOf, augPreset, matchAugPreset } from './augPresets';

describe('augmentation presets', () => {
  it('each preset sets every augmentation key and nothing else', () => {
    for (const p of AUG_PRESETS) expect(Object.keys(p.settings).sort(), p.name).toEqual([...AUG_KEYS].sort());
  });

  it('aug keys are real config keys', () => {
    for (const k of AUG_KEYS) expect(CONFIG_KEYS).toContain(k);
  });

  it('applying a preset to any config changes only augmentation keys and passes validation', () => {
    const bases: Config[] = [validate({}), validate({ seed: 7, method: 'dim', ndf: 8 }, 'tiny'), validate({ ...AUG_PRESETS[5].settings })];
    for (const base of bases)
      for (const p of AUG_PRESETS) {
        const c = validate({ ...base, ...p.settings });
        for (const k of diffKeys(base, c)) expect(AUG_KEYS as readonly string[], `${p.name} changed ${k}`).toContain(k);
        expect(augOf(c)).toEqual(p.settings);
        expect(matchAugPreset(c)).toBe(p.name);
      }
  });

  it('values are within the schema ranges', () => {
    for (const p of AUG_PRESETS)
      for (const k of AUG_KEYS) {
        const spec = SCHEMA[k];
        const v = p.settings[k];
        if (spec.kind === 'number' || spec.kind === 'int') expect(v as number).toBeGreaterThanOrEqual(spec.min);
      }
  });

  it('AMDIM (by image size) is the default recipe and names are unique', () => {
    expect(matchAugPreset(DEFAULTS as Config)).toBe('amdim');
    expect(new Set(AUG_PRESETS.map((p) => p.name)).size).toBe(AUG_PRESETS.length);
    expect(matchAugPreset(validate({ hue: 0.1 }))).toBeNull();
  });

  it('none really disables every random change', () => {
    const s = augPreset('none').settings;
    expect([s.flipP, s.jitterP, s.grayP]).toEqual([0, 0, 0]);
    expect(s.crop).toBe('none');
    expect(() => augPreset('wild')).toThrow(/Unknown augmentation preset "wild"/);
  });
});
