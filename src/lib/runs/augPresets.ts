/**
 * Named augmentation recipes. Each one assigns every augmentation key (and nothing else), so picking a
 * preset gives the same views whatever was set before, and a comparison built from a preset changes only
 * augmentation settings.
 */
import type { Config } from '../config';

export const AUG_KEYS = [
  'flipP', 'crop', 'translatePx', 'translateP', 'cropScaleMin', 'cropScaleMax', 'cropAspectMin', 'cropAspectMax',
  'brightness', 'contrast', 'saturation', 'hue', 'jitterP', 'grayP',
] as const satisfies readonly (keyof Config)[];
export type AugKey = (typeof AUG_KEYS)[number];
export type AugSettings = Pick<Config, AugKey>;

export type AugPresetName = 'none' | 'amdim' | 'amdim-cifar' | 'amdim-stl' | 'colour-only' | 'crop-only' | 'strong';

export interface AugPreset {
  name: AugPresetName;
  label: string;
  help: string;
  settings: AugSettings;
}

const NO_COLOUR = { brightness: 0, contrast: 0, saturation: 0, hue: 0, jitterP: 0, grayP: 0 } as const;
const AMDIM_COLOUR = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.2, jitterP: 0.8, grayP: 0.25 } as const;
const RESIZED = { crop: 'resized', translatePx: 4, translateP: 0.8, cropScaleMin: 0.3, cropScaleMax: 1, cropAspectMin: 0.7, cropAspectMax: 1.4 } as const;
const NO_CROP = { crop: 'none', translatePx: 4, translateP: 0.8, cropScaleMin: 0.3, cropScaleMax: 1, cropAspectMin: 0.7, cropAspectMax: 1.4 } as const;

export const AUG_PRESETS: readonly AugPreset[] = Object.freeze([
  {
    name: 'none', label: 'None',
    help: 'Both views are the same image: the task is trivial and the features learn little.',
    settings: { flipP: 0, ...NO_CROP, ...NO_COLOUR },
  },
  {
    name: 'amdim', label: 'AMDIM',
    help: 'Official AMDIM recipe for the image size: the CIFAR one at 32 px (translate ±4 px), the STL-10 one at 64 px (random resized crop, bicubic); shared flip, colour jitter 0.4/0.4/0.4/0.2 in random order (p 0.8), grayscale p 0.25.',
    settings: { flipP: 0.5, crop: 'auto', translatePx: 4, translateP: 0.8, cropScaleMin: 0.3, cropScaleMax: 1, cropAspectMin: 0.7, cropAspectMax: 1.4, ...AMDIM_COLOUR },
  },
  {
    name: 'amdim-cifar', label: 'AMDIM CIFAR',
    help: 'Official AMDIM CIFAR-10 recipe: shared flip, translate ±4 px (p 0.8), colour jitter 0.4/0.4/0.4/0.2 (p 0.8), grayscale p 0.25.',
    settings: { flipP: 0.5, crop: 'translate', translatePx: 4, translateP: 0.8, cropScaleMin: 0.3, cropScaleMax: 1, cropAspectMin: 0.7, cropAspectMax: 1.4, ...AMDIM_COLOUR },
  },
  {
    name: 'amdim-stl', label: 'AMDIM STL/ImageNet',
    help: 'Official AMDIM STL-10/ImageNet recipe: random resized crop (scale 0.3–1, aspect 0.7–1.4) instead of translation.',
    settings: { flipP: 0.5, ...RESIZED, ...AMDIM_COLOUR },
  },
  {
    name: 'colour-only', label: 'Colour only',
    help: 'Colour jitter and grayscale, no geometry: can colour statistics alone be ignored by the features?',
    settings: { flipP: 0, ...NO_CROP, ...AMDIM_COLOUR },
  },
  {
    name: 'crop-only', label: 'Crop only',
    help: 'Random resized crops, no colour change: the model can match views by their colour histogram (a shortcut).',
    settings: { flipP: 0, ...RESIZED, ...NO_COLOUR },
  },
  {
    name: 'strong', label: 'Strong',
    help: 'SimCLR-strength: crops down to 8% of the area, jitter 0.8/0.8/0.8/0.2 (p 0.8), grayscale p 0.2, flip.',
    settings: { flipP: 0.5, crop: 'resized', translatePx: 4, translateP: 0.8, cropScaleMin: 0.08, cropScaleMax: 1, cropAspectMin: 0.75, cropAspectMax: 1.33, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, jitterP: 0.8, grayP: 0.2 },
  },
] satisfies AugPreset[]);

export function augPreset(name: string): AugPreset {
  const p = AUG_PRESETS.find((q) => q.name === name);
  if (!p) throw new Error(`Unknown augmentation preset "${name.slice(0, 40)}": use one of ${AUG_PRESETS.map((q) => q.name).join(', ')}`);
  return p;
}

export function augOf(c: Config): AugSettings {
  return Object.fromEntries(AUG_KEYS.map((k) => [k, c[k]])) as unknown as AugSettings;
}

/** The preset whose settings the config uses exactly, or null for a custom mix. */
export function matchAugPreset(c: Config): AugPresetName | null {
  return AUG_PRESETS.find((p) => AUG_KEYS.every((k) => p.settings[k] === c[k]))?.name ?? null;
}
