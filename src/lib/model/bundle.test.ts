import { describe, expect, it } from 'vitest';
import { validate } from '../config';
import { Rng } from '../rng';
import type { CheckpointMeta } from '../train/checkpoint';
import type { NamedTensor } from '../train/types';
import { bundleFromCheckpoint, bundleFromWeights, bundleToCheckpoint, readBundle, trainableNames } from './bundle';
import { ModelImportError } from './import';
import { weightShapes } from './plan';
import { readSafetensors } from './safetensors';

const cfg = validate({ ndf: 2, nRkhs: 8, nDepth: 2, batchSize: 4 });
const opts = { ndf: 2, nRkhs: 8, nDepth: 2, imageSize: 32 as const };
const rng = new Rng(3);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A checkpoint as the page's run writes it: encoder/…, probe/…, flat adam/0..2 and probe-adam/0..2. */
function checkpoint(): { meta: CheckpointMeta; tensors: Record<string, NamedTensor> } {
  const tensors: Record<string, NamedTensor> = {};
  for (const [n, s] of weightShapes(opts)) tensors[`encoder/${n}`] = { shape: s, data: rand(size(s)) };
  // the classifiers as the official Evaluator names them: a linear one and an MLP with a BatchNorm
  const probe: [string, number[]][] = [
    ['lin.fc.weight', [8, 3]], ['lin.fc.bias', [3]], ['mlp.fc1.weight', [8, 4]], ['mlp.bn.gamma', [4]], ['mlp.bn.beta', [4]],
    ['mlp.bn.running_mean', [4]], ['mlp.bn.running_var', [4]], ['mlp.fc2.weight', [4, 3]], ['mlp.fc2.bias', [3]],
  ];
  for (const [n, s] of probe) tensors[`probe/${n}`] = { shape: s, data: rand(size(s)) };
  const nProbe = probe.filter(([n]) => !n.includes('running_')).reduce((a, [, s]) => a + size(s), 0);
  const nAdam = trainableNames(cfg).reduce((s, n) => s + size(tensors[`encoder/${n}`].shape), 0);
  tensors['adam/0'] = { shape: [nAdam], data: rand(nAdam) };
  tensors['adam/1'] = { shape: [nAdam], data: rand(nAdam).map(Math.abs) };
  tensors['adam/2'] = { shape: [], data: Float32Array.of(17) };
  tensors['probe-adam/0'] = { shape: [nProbe], data: rand(nProbe) };
  tensors['probe-adam/1'] = { shape: [nProbe], data: rand(nProbe).map(Math.abs) };
  tensors['probe-adam/2'] = { shape: [], data: Float32Array.of(17) };
  const meta: CheckpointMeta = {
    version: 2, config: cfg, step: 17, time: 3.5, adamStep: 17, probeAdamStep: 17,
    sampler: { count: 40, batch: 4, epoch: 1, pos: 7, epochRng: [1, 2, 3, 4] }, augRng: [5, 6, 7, 8], negRng: [9, 10, 11, 12],
    history: [], evalHistory: [], savedAt: 0,
  };
  return { meta, tensors };
}
const asFiles = (f: Record<string, Uint8Array>) => Object.entries(f).map(([name, b]) => ({ name, bytes: b.slice().buffer }));

describe('run bundle', () => {
  it('a page checkpoint → bundle → checkpoint round trip keeps every tensor and the run state', () => {
    const ck = checkpoint();
    const files = bundleFromCheckpoint(ck.meta, ck.tensors);
    expect(Object.keys(files).sort()).toEqual(['README.md', 'config.json', 'optimizer.safetensors', 'weights.safetensors']);
    // weights.safetensors holds the encoder by the app's names and shapes, in plan order
    const w = readSafetensors(files['weights.safetensors']);
    expect(w.order).toEqual(weightShapes(opts).map(([n]) => n));
    expect(w.metadata.format).toBe('infomax-lab-bundle');
    // per-weight moments: the first weight's m is the first slice of the flat moment vector
    const o = readSafetensors(files['optimizer.safetensors']);
    const first = trainableNames(cfg)[0];
    expect(Array.from(o.tensors[`adam.m.${first}`].data as Float32Array)).toEqual(Array.from(ck.tensors['adam/0'].data.slice(0, 3 * 3 * 3 * 2)));
    // classifier moments skip the BatchNorm statistics: mlp.fc1.weight's m starts after lin.fc.weight and lin.fc.bias
    expect(Array.from(o.tensors['probe-adam.m.mlp.fc1.weight'].data as Float32Array)).toEqual(Array.from(ck.tensors['probe-adam/0'].data.slice(27, 27 + 32)));
    expect(o.tensors['probe-adam.m.mlp.bn.running_mean']).toBeUndefined();
    expect(o.tensors['probe.mlp.bn.running_mean']).toBeDefined();
    expect(new TextDecoder().decode(files['README.md'])).toContain('python3 -m infomax_lab.train --config config.json --data PHOTOS --resume .');

    const b = readBundle(asFiles(files));
    expect(b.config).toEqual(cfg);
    const back = bundleToCheckpoint(b, cfg, 40, 3)!;
    expect(back).not.toBeNull();
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(ck.tensors).sort());
    for (const [k, t] of Object.entries(ck.tensors)) {
      expect(back.tensors[k].shape, k).toEqual(t.shape);
      expect(Array.from(back.tensors[k].data), k).toEqual(Array.from(t.data));
    }
    expect({ ...back.meta, savedAt: 0 }).toEqual(ck.meta);
  });

  it('does not resume a sampler or probe made for another dataset (weights still load)', () => {
    const ck = checkpoint();
    const b = readBundle(asFiles(bundleFromCheckpoint(ck.meta, ck.tensors)));
    expect(bundleToCheckpoint(b, cfg, 41, 3)).toBeNull();
    expect(bundleToCheckpoint(b, cfg, 40, 10)).toBeNull();
    expect(Object.keys(b.weights)).toHaveLength(weightShapes(opts).length);
  });

  it('a useBn run carries its extra BatchNorms', () => {
    const c = validate({ ...cfg, useBn: 1 });
    const o = { ...opts, useBn: true };
    const weights = Object.fromEntries(weightShapes(o).map(([n, s]) => [n, { shape: s, data: rand(size(s)) }]));
    expect(Object.keys(weights).some((n) => n.endsWith('.bn1.gamma'))).toBe(true);
    const b = readBundle(asFiles(bundleFromWeights(c, weights)));
    expect(Object.keys(b.weights).sort()).toEqual(Object.keys(weights).sort());
  });

  it('weights alone make a bundle without optimizer state', () => {
    const weights = Object.fromEntries(weightShapes(opts).map(([n, s]) => [n, { shape: s, data: rand(size(s)) }]));
    const files = bundleFromWeights(cfg, weights);
    expect(files['optimizer.safetensors']).toBeUndefined();
    const b = readBundle(asFiles(files));
    expect(b.optimizer).toBeNull();
    expect(bundleToCheckpoint(b, cfg, 40, 3)).toBeNull();
  });

  it('refuses bundles that do not fit, naming the problem', () => {
    const ck = checkpoint();
    const files = bundleFromCheckpoint(ck.meta, ck.tensors);
    const without = (name: string) => asFiles(files).filter((f) => f.name !== name);
    expect(() => readBundle(without('config.json'))).toThrow(/no config.json selected/);
    expect(() => readBundle(without('weights.safetensors'))).toThrow(/no weights.safetensors selected/);
    const other = { ...files, 'config.json': new TextEncoder().encode(JSON.stringify({ ...cfg, ndf: 4 })) };
    expect(() => readBundle(asFiles(other))).toThrow(ModelImportError);
    expect(() => readBundle(asFiles(other))).toThrow(/stem.conv.weight: expected \[3,3,3,4\], got \[3,3,3,2\] \(in weights.safetensors\)/);
    const bad = { ...files, 'config.json': new TextEncoder().encode(JSON.stringify({ ...cfg, lr: -1 })) };
    expect(() => readBundle(asFiles(bad))).toThrow(/config.json: config.lr: -1 is out of range/);
    expect(() => bundleFromCheckpoint({ ...ck.meta, config: { ...cfg, method: 'dim' } }, ck.tensors)).toThrow(/the PyTorch twin trains AMDIM; this run is Deep InfoMax/);
    const broken = { ...files, 'weights.safetensors': files['weights.safetensors'].slice(0, 100) };
    expect(() => readBundle(asFiles(broken))).toThrow(/weights.safetensors: safetensors:/);
  });
});
