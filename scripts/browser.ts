/**
 * Which Chromium the browser tests drive. `chooseBrowser` is a pure decision over facts about the machine
 * (environment, platform, user id, OS family, which candidate binaries run), so every branch is unit-tested
 * with faked facts; `machineFacts` gathers the real ones. Order:
 *   1. CHROMIUM_PATH when set (and an error naming it when it does not run: never silently something else);
 *   2. the system's Chromium or Chrome at the usual paths;
 *   3. Playwright's own browser where `npx playwright install chromium` put one;
 *   4. as root on Debian, `apt-get install -y chromium` (on Ubuntu, whose chromium package is a snap stub
 *      that does not run in containers, Playwright's installer with its apt dependencies);
 *   5. otherwise one message naming the exact command to run.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export interface Facts {
  env: Record<string, string | undefined>;
  platform: string;
  /** null where the platform has no user ids (Windows). */
  uid: number | null;
  /** ID and ID_LIKE from /etc/os-release, lower case (e.g. ['debian'] or ['ubuntu', 'debian']). */
  os: string[];
  hasApt: boolean;
  /** Where Playwright's own Chromium would be (whether or not it is installed), or null. */
  playwrightPath: string | null;
  /** Does this file exist and run as a browser (`--version` succeeds)? */
  runs: (path: string) => boolean;
}

export type Decision =
  | { action: 'use'; path: string; source: 'CHROMIUM_PATH' | 'system' | 'playwright' }
  | { action: 'install'; commands: string[][]; env: Record<string, string>; what: string }
  | { action: 'stop'; message: string };

/** The usual places of a system Chromium or Chrome, most preferred first. */
export function systemPaths(platform: string, env: Record<string, string | undefined> = {}): string[] {
  if (platform === 'darwin')
    return [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    ];
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES ?? 'C:\\Program Files', env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)', env.LOCALAPPDATA].filter(Boolean);
    return roots.map((r) => `${r}\\Google\\Chrome\\Application\\chrome.exe`);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];
}

export const APT_INSTALL = ['apt-get', 'install', '-y', 'chromium'];
export const PLAYWRIGHT_INSTALL = ['npx', 'playwright', 'install', '--with-deps', 'chromium'];

export function chooseBrowser(f: Facts): Decision {
  const wanted = f.env.CHROMIUM_PATH?.trim();
  if (wanted) {
    if (f.runs(wanted)) return { action: 'use', path: wanted, source: 'CHROMIUM_PATH' };
    return {
      action: 'stop',
      message: `CHROMIUM_PATH is set to ${wanted}, which does not exist or does not run as a browser (\`${wanted} --version\` failed). Point it at a Chromium or Chrome binary, or unset it to let npm test find or install one.`,
    };
  }
  for (const p of systemPaths(f.platform, f.env)) if (f.runs(p)) return { action: 'use', path: p, source: 'system' };
  if (f.playwrightPath && f.runs(f.playwrightPath)) return { action: 'use', path: f.playwrightPath, source: 'playwright' };

  const linux = f.platform === 'linux';
  const ubuntu = f.os.includes('ubuntu');
  const debian = !ubuntu && f.os.includes('debian');
  const root = f.uid === 0;
  if (linux && root && f.hasApt && debian)
    return { action: 'install', commands: [['apt-get', 'update'], APT_INSTALL], env: { DEBIAN_FRONTEND: 'noninteractive' }, what: "Debian's chromium package with apt" };
  if (linux && root && ubuntu)
    return { action: 'install', commands: [PLAYWRIGHT_INSTALL], env: {}, what: "Playwright's Chromium and its system libraries (Ubuntu's chromium package needs snap)" };

  const command = linux && debian && f.hasApt ? `sudo ${APT_INSTALL.join(' ')}` : linux ? PLAYWRIGHT_INSTALL.join(' ') : 'npx playwright install chromium';
  return {
    action: 'stop',
    message: `No Chromium or Chrome found for the browser tests (looked at CHROMIUM_PATH, ${systemPaths(f.platform, f.env).join(', ')}${f.playwrightPath ? `, ${f.playwrightPath}` : ''}). Install one with:\n\n    ${command}\n\nthen run npm test again (or set CHROMIUM_PATH=/path/to/chrome).`,
  };
}

/** ID and ID_LIKE of /etc/os-release, lower case; [] where there is none. */
export function parseOsRelease(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(ID|ID_LIKE)=(.*)$/.exec(line.trim());
    if (m) out.push(...m[2].replace(/["']/g, '').toLowerCase().split(/\s+/).filter(Boolean));
  }
  return out;
}

function runsAsBrowser(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    execFileSync(path, ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function playwrightChromium(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const { chromium } = req('playwright-core') as { chromium: { executablePath(): string } };
    return chromium.executablePath() || null;
  } catch {
    return null;
  }
}

/** The facts of this machine. */
export function machineFacts(env: Record<string, string | undefined> = process.env): Facts {
  let os: string[] = [];
  try {
    os = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    /* not Linux, or no os-release */
  }
  const memo = new Map<string, boolean>();
  return {
    env,
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    os,
    hasApt: existsSync('/usr/bin/apt-get'),
    playwrightPath: playwrightChromium(),
    runs: (p) => {
      if (!memo.has(p)) memo.set(p, runsAsBrowser(p));
      return memo.get(p)!;
    },
  };
}

/** The browser to launch, or an Error carrying the message that says what to install. No installing here. */
export function findBrowser(env: Record<string, string | undefined> = process.env): string {
  const d = chooseBrowser(machineFacts(env));
  if (d.action === 'use') return d.path;
  if (d.action === 'stop') throw new Error(d.message);
  throw new Error(`No Chromium or Chrome found. Run \`npm run browser\` (it installs ${d.what}), or set CHROMIUM_PATH.`);
}
