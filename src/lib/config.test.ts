import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, DEFAULTS, PRESETS, SCHEMA, decodeHash, diffKeys, encodeHash, preset, validate } from './config';

describe('config', () => {
  it('defaults validate and every key has a schema entry', () => {
    expect(validate({})).toEqual(DEFAULTS);
    expect(new Set(Object.keys(DEFAULTS))).toEqual(new Set(Object.keys(SCHEMA)));
  });

  it('presets apply only their keys and validate', () => {
    for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      const c = preset(name);
      for (const [k, v] of Object.entries(PRESETS[name])) expect(c[k as keyof typeof c]).toBe(v);
    }
    expect(preset('tiny')).toMatchObject({ ndf: 8, nRkhs: 32, nDepth: 1, batchSize: 4 });
    expect(preset('paper')).toMatchObject({ ndf: 128, nRkhs: 1024, nDepth: 3, batchSize: 200 });
  });

  it('rejects unknown keys, wrong types and out-of-range values, naming the key', () => {
    const bad: [object, string][] = [
      [{ ndff: 3 }, 'ndff'],
      [{ ndf: '8' }, 'ndf'],
      [{ ndf: 8.5 }, 'ndf'],
      [{ ndf: 0 }, 'ndf'],
      [{ lr: NaN }, 'lr'],
      [{ crop: 'zoom' }, 'crop'],
      [{ imageSize: 48 }, 'imageSize'],
      [{ dataset: '<script>' }, 'dataset'],
      [{ cropScaleMin: 0.9, cropScaleMax: 0.5 }, 'cropScaleMin'],
      [JSON.parse('{"__proto__": {"polluted": 1}}'), '__proto__'],
    ];
    for (const [o, key] of bad) {
      let err: unknown;
      try {
        validate(o);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      expect((err as Error).message).toContain(key);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('round-trips through the URL hash, writing only changed keys', () => {
    const c = validate({ seed: 42, ndf: 16, crop: 'resized', hue: 0.05, lr: 3e-4, imageSize: 64 });
    const h = encodeHash(c);
    expect(h.split('&').map((p) => p.split('=')[0]).sort()).toEqual(['crop', 'hue', 'imageSize', 'lr', 'ndf', 'seed']);
    expect(decodeHash('#' + h)).toEqual(c);
    expect(encodeHash(DEFAULTS as never)).toBe('');
    expect(decodeHash('')).toEqual(DEFAULTS);
    for (const k of CONFIG_KEYS) expect(decodeHash(encodeHash(preset('tiny')))[k]).toBe(preset('tiny')[k]);
  });

  it('hash decoding names bad keys and values', () => {
    expect(() => decodeHash('#ndf=abc')).toThrow(/ndf/);
    expect(() => decodeHash('#evil=1')).toThrow(/unknown key "evil"/);
    expect(() => decodeHash('#constructor=1')).toThrow(/constructor/);
    expect(() => decodeHash('#preset=huge')).toThrow(/preset/);
    expect(decodeHash('#preset=tiny&seed=7')).toMatchObject({ ndf: 8, seed: 7 });
  });

  it('diffKeys names exactly the keys that differ', () => {
    const a = validate({});
    const b = validate({ hue: 0, grayP: 0 });
    expect(diffKeys(a, b)).toEqual(['hue', 'grayP']);
  });
});
