/**
 * `npm run browser`: find the Chromium the browser tests drive, installing one where that is ours to do
 * (root on Debian or Ubuntu), and otherwise stop with one message naming the command to run.
 * Runs in `npm test` just before the e2e step; the decision itself is `chooseBrowser` in browser.ts.
 */
import { spawnSync } from 'node:child_process';
import { chooseBrowser, machineFacts } from './browser';

function stop(message: string): never {
  console.error(`\n${message}\n`);
  process.exit(1);
}

let d = chooseBrowser(machineFacts());
if (d.action === 'install') {
  const what = d.what;
  console.log(`browser: no Chromium or Chrome found; installing ${what}:`);
  for (const cmd of d.commands) {
    console.log(`browser: $ ${cmd.join(' ')}`);
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...d.env } });
    if (r.status !== 0) stop(`Installing ${what} failed (\`${cmd.join(' ')}\` exited with ${r.status ?? r.signal ?? r.error?.message}). Install Chromium yourself, or set CHROMIUM_PATH=/path/to/chrome, then run npm test again.`);
  }
  d = chooseBrowser(machineFacts());
  if (d.action !== 'use') stop(`Installed ${what}, but still no browser runs.${d.action === 'stop' ? `\n${d.message}` : ''}`);
}
if (d.action === 'stop') stop(d.message);
if (d.action === 'use') console.log(`browser: ${d.path} (${d.source === 'system' ? "the system's" : d.source === 'playwright' ? "Playwright's" : 'from CHROMIUM_PATH'})`);
