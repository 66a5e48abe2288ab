// `npm run test:py`: the PyTorch twin's tests with Debian's /usr/bin/python3 (torch and Pillow from
// python3-torch and python3-pil). When they are missing and we are root on Debian, installs them with apt (and
// says so); otherwise reports one failure naming what is missing. Writes test-results/py.json for .ci/count.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const py = process.env.INFOMAX_PYTHON || '/usr/bin/python3';
const report = `${root}test-results/py.json`;
const has = () => spawnSync(py, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;

if (!has() && process.getuid?.() === 0 && existsSync('/etc/debian_version') && !process.env.INFOMAX_NO_APT) {
  console.log('[test:py] torch or Pillow missing for /usr/bin/python3: installing python3-torch python3-pil with apt-get');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'python3-torch', 'python3-pil'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    console.log(`[test:py] apt-get failed: ${e.message}`);
  }
}
mkdirSync(`${root}test-results`, { recursive: true });
if (!has()) {
  console.log(`[test:py] ${py} cannot import torch and PIL (Debian: apt-get install python3-torch python3-pil): counted as 1 failure`);
  writeFileSync(report, JSON.stringify({ passed: 0, failed: 1, skipped: 0, error: 'no torch/Pillow' }));
  process.exit(1);
}
const r = spawnSync(py, [`${root}python/tests/run.py`, report], { stdio: 'inherit', cwd: `${root}python`, env: { ...process.env, PYTHONPATH: `${root}python`, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' } });
if (!existsSync(report)) writeFileSync(report, JSON.stringify({ passed: 0, failed: 1, skipped: 0, error: `runner exited with ${r.status ?? r.signal}` }));
process.exit(r.status ?? 1);
