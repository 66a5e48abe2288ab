/**
 * The GPU machine's benchmark: bench/train.ts on the Node WebGPU backend only (hardware adapter required),
 * tiny/demo/paper presets, writing the partial result to $OUT/gpu.json after every section so a timeout
 * still leaves numbers. Bundled with tfjs by bench/gpu/prepare.sh; run by bench/gpu/run.sh.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bench from '../train';

const out = join(process.env.OUT || '.', 'gpu.json');
const write = (r: Record<string, unknown>) => writeFileSync(out, JSON.stringify({ ...r, when: new Date().toISOString() }, null, 2));
const quick = process.argv.includes('--quick');
const software = process.argv.includes('--allow-software');

bench({ quick, backends: ['webgpu'], presets: quick ? ['tiny'] : ['tiny', 'demo', 'paper'], allowSoftware: software, onProgress: write })
  .then((r) => {
    write(r);
    console.log(`wrote ${out}`);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
