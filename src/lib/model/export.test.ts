import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createEncoder, type Encoder, type EncoderOptions } from './encoder';
import { buildGraphModel, exportEncoder, loadEncoderWeights, WEIGHTS_FILE } from './export';
import { ModelImportError, parseModelFiles, type InputFile } from './import';
import { weightShapes } from './plan';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'infomax-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every weight random (running variances positive), so no path of the graph hides behind a zero or an identity. */
function randomize(enc: Encoder, seed: number): void {
  const rng = new Rng(seed);
  tf.tidy(() => {
    for (const [name, v] of Object.entries(enc.namedWeights())) {
      const vals = Float32Array.from({ length: v.size }, () => (name.endsWith('running_var') ? rng.uniform(0.5, 1.5) : 0.3 * rng.normal()));
      v.assign(tf.tensor(vals, v.shape));
    }
  });
}

function images(seed: number, B: number, S: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: B * S * S * 3 }, () => rng.next()), [B, S, S, 3]);
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  return (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
}

const toFiles = (modelJson: object, weightData: ArrayBuffer, bin = WEIGHTS_FILE): InputFile[] => [
  { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)).buffer as ArrayBuffer },
  { name: bin, bytes: weightData },
];

describe('plan', () => {
  for (const opts of [
    { ndf: 4, nRkhs: 12, nDepth: 1, imageSize: 32 },
    { ndf: 2, nRkhs: 4, nDepth: 3, imageSize: 32 }, // nRkhs < 4·ndf: the rkhs shortcut slices channels
    { ndf: 3, nRkhs: 40, nDepth: 2, imageSize: 64 },
  ] as EncoderOptions[]) {
    it(`lists the encoder's weights, names, shapes and order (${JSON.stringify(opts)})`, () => {
      const enc = createEncoder(opts, new Rng(1));
      const actual = Object.entries(enc.namedWeights()).map(([n, v]) => [n, v.shape]);
      expect(weightShapes(opts)).toEqual(actual);
      enc.dispose();
    });
  }
});

describe('graph model export', () => {
  for (const opts of [
    { ndf: 4, nRkhs: 16, nDepth: 2, imageSize: 32 },
    { ndf: 2, nRkhs: 6, nDepth: 1, imageSize: 32 },
    { ndf: 3, nRkhs: 20, nDepth: 1, imageSize: 64 },
  ] as EncoderOptions[]) {
    it(`tf.loadGraphModel gives the app's r1, r5, r7 to 1e-4 (${opts.imageSize} px, ndf ${opts.ndf}, nRkhs ${opts.nRkhs})`, async () => {
      const enc = createEncoder(opts, new Rng(3));
      randomize(enc, 4);
      const { modelJson, weightData } = await exportEncoder(enc);
      const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
      const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: 'graph-model' }));
      const x = images(5, 3, opts.imageSize);
      const [r1, r5, r7] = model.execute(x, ['r1', 'r5', 'r7']) as tf.Tensor[];
      const app = enc.forward(x, false).features;
      expect(await maxAbsDiff(r1, enc.embed(x, false))).toBeLessThan(1e-4);
      expect(await maxAbsDiff(r5, app.r5)).toBeLessThan(1e-4);
      expect(await maxAbsDiff(r7, app.r7)).toBeLessThan(1e-4);
      // the features are not trivially small: a 1e-4 match means something
      expect((await tf.max(tf.abs(r1)).data())[0]).toBeGreaterThan(0.1);
      tf.dispose([x, r1, r5, r7, app.r1, app.r5, app.r7]);
      model.dispose();
      enc.dispose();
    });
  }

  it('loads from files on disk through the standard URL loader (model.json + .bin)', async () => {
    const opts: EncoderOptions = { ndf: 4, nRkhs: 8, nDepth: 1, imageSize: 32 };
    const enc = createEncoder(opts, new Rng(7));
    randomize(enc, 8);
    const { modelJson, weightData } = await exportEncoder(enc);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
    // tf.io.http resolves the manifest's paths against model.json's URL; this fetch reads them from disk.
    const fetchFunc = async (url: RequestInfo | URL) => new Response(readFileSync(join(dir, new URL(String(url)).pathname.split('/').pop() ?? '')));
    const model = await tf.loadGraphModel('http://files.local/m/model.json', { fetchFunc });
    const x = images(9, 2, 32);
    const r1 = model.predict(x) as tf.Tensor[];
    const ref = enc.embed(x, false);
    expect(await maxAbsDiff(r1[0], ref)).toBeLessThan(1e-4);
    tf.dispose([x, ref, ...r1]);
    model.dispose();
    enc.dispose();
  });
});

describe('model import', () => {
  const opts: EncoderOptions = { ndf: 4, nRkhs: 8, nDepth: 2, imageSize: 32 };

  it('round-trips: the imported weights give a fresh encoder exactly the same features', async () => {
    const a = createEncoder(opts, new Rng(11));
    randomize(a, 12);
    const { modelJson, weightData } = await exportEncoder(a);
    const weights = parseModelFiles(toFiles(modelJson, weightData, 'group1-shard1of1 (1).bin'), opts);
    const b = createEncoder(opts, new Rng(99));
    loadEncoderWeights(b, weights);
    const x = images(13, 2, 32);
    const [fa, fb] = [a.forward(x, false).features, b.forward(x, false).features];
    expect(await maxAbsDiff(fa.r1, fb.r1)).toBe(0);
    expect(await maxAbsDiff(fa.r5, fb.r5)).toBe(0);
    tf.dispose([x, fa.r1, fa.r5, fa.r7, fb.r1, fb.r5, fb.r7]);
    a.dispose();
    b.dispose();
  });

  /** An exported model of `o`, built without tfjs variables. */
  function exported(o: EncoderOptions) {
    const weights = Object.fromEntries(weightShapes(o).map(([n, s]) => [n, { shape: s, data: new Float32Array(s.reduce((p, q) => p * q, 1)).fill(0.5) }]));
    return buildGraphModel(weights, o);
  }

  const refuse = (files: InputFile[], o = opts) => {
    try {
      parseModelFiles(files, o);
    } catch (e) {
      expect(e).toBeInstanceOf(ModelImportError);
      return (e as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it('refuses files that are not a TF.js model, naming what is wrong', () => {
    const { modelJson, weightData } = exported(opts);
    const text = (s: string): InputFile => ({ name: 'model.json', bytes: new TextEncoder().encode(s).buffer as ArrayBuffer });
    expect(refuse([text('<html>')])).toMatch(/not valid JSON/);
    expect(refuse([text('{"hello": 1}')])).toMatch(/not a TensorFlow\.js model.*weightsManifest/);
    expect(refuse([text('{"format":"layers-model","modelTopology":{"model_config":{}},"weightsManifest":[]}')])).toMatch(/layers model/);
    expect(refuse([{ name: 'x.bin', bytes: weightData }])).toMatch(/no model\.json/);
    expect(refuse(toFiles(modelJson, weightData).slice(0, 1))).toMatch(/weight file "group1-shard1of1\.bin", which was not selected/);
    expect(refuse(toFiles(modelJson, weightData.slice(0, 100)))).toMatch(/hold 100 bytes, but model\.json describes \d+/);
  });

  it('refuses a model of another shape, naming the first tensor and both shapes', () => {
    const { modelJson, weightData } = exported({ ...opts, ndf: 3 });
    expect(refuse(toFiles(modelJson, weightData))).toMatch(/^stem\.conv\.weight: expected \[3,3,3,4\], got \[3,3,3,3\] \(the file was exported for ndf 3/);
    const deeper = exported({ ...opts, nDepth: 3 });
    expect(refuse(toFiles(deeper.modelJson, deeper.weightData))).toMatch(/^unexpected tensor block1\.2\.conv1\.weight/);
    const shallow = exported({ ...opts, nDepth: 1 });
    expect(refuse(toFiles(shallow.modelJson, shallow.weightData))).toMatch(/^missing tensor block1\.1\.conv1\.weight/);
  });

  it('refuses non-finite weights and renamed tensors', () => {
    const { modelJson, weightData } = exported(opts);
    const bad = new Float32Array(weightData.slice(0));
    const specs = modelJson.weightsManifest[0].weights;
    const at = specs.findIndex((w) => w.name === 'stem.conv.weight');
    bad[specs.slice(0, at).reduce((n, w) => n + w.shape.reduce((p, q) => p * q, 1), 0)] = NaN; // all 4-byte values
    expect(refuse(toFiles(modelJson, bad.buffer))).toMatch(/^stem\.conv\.weight: contains NaN/);
    const renamed = structuredClone(modelJson);
    renamed.weightsManifest[0].weights[at].name = 'stem.conv.kernel';
    expect(refuse(toFiles(renamed, weightData))).toMatch(/^missing tensor stem\.conv\.weight/);
  });
});
