import { describe, expect, it } from 'vitest';
import { APT_INSTALL, PLAYWRIGHT_INSTALL, chooseBrowser, parseOsRelease, systemPaths, type Facts } from './browser';

const PW = '/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome';
/** A Linux machine on which exactly the paths in `present` run as browsers. */
function facts(over: Partial<Facts> & { present?: string[] } = {}): Facts {
  const present = new Set(over.present ?? []);
  return { env: {}, platform: 'linux', uid: 1000, os: ['debian'], hasApt: true, playwrightPath: PW, runs: (p) => present.has(p), ...over };
}

describe('chooseBrowser', () => {
  it('uses CHROMIUM_PATH first, even when a system browser exists', () => {
    const d = chooseBrowser(facts({ env: { CHROMIUM_PATH: '/opt/chrome/chrome' }, present: ['/opt/chrome/chrome', '/usr/bin/chromium'] }));
    expect(d).toEqual({ action: 'use', path: '/opt/chrome/chrome', source: 'CHROMIUM_PATH' });
  });

  it('stops naming CHROMIUM_PATH when it does not run, instead of silently using another browser', () => {
    const d = chooseBrowser(facts({ env: { CHROMIUM_PATH: '/opt/missing' }, present: ['/usr/bin/chromium'], uid: 0 }));
    expect(d.action).toBe('stop');
    if (d.action === 'stop') expect(d.message).toContain('/opt/missing');
  });

  it('takes the first system path that runs, in order of preference', () => {
    expect(chooseBrowser(facts({ present: ['/usr/bin/google-chrome', '/usr/bin/chromium', PW] }))).toEqual({ action: 'use', path: '/usr/bin/chromium', source: 'system' });
    expect(chooseBrowser(facts({ present: ['/usr/bin/google-chrome', PW] }))).toEqual({ action: 'use', path: '/usr/bin/google-chrome', source: 'system' });
    // a file that exists but does not run (Ubuntu's snap stub without snapd) is skipped
    expect(chooseBrowser(facts({ present: ['/usr/bin/google-chrome-stable'] }))).toMatchObject({ path: '/usr/bin/google-chrome-stable' });
  });

  it("falls back to Playwright's own browser where it is installed", () => {
    expect(chooseBrowser(facts({ present: [PW] }))).toEqual({ action: 'use', path: PW, source: 'playwright' });
    expect(chooseBrowser(facts({ present: [PW], platform: 'darwin', os: [] }))).toEqual({ action: 'use', path: PW, source: 'playwright' });
  });

  it('installs Debian chromium with apt as root on Debian', () => {
    const d = chooseBrowser(facts({ uid: 0 }));
    expect(d).toMatchObject({ action: 'install', commands: [['apt-get', 'update'], APT_INSTALL], env: { DEBIAN_FRONTEND: 'noninteractive' } });
    expect(APT_INSTALL).toEqual(['apt-get', 'install', '-y', 'chromium']);
  });

  it("installs Playwright's Chromium with its libraries as root on Ubuntu", () => {
    expect(chooseBrowser(facts({ uid: 0, os: ['ubuntu', 'debian'] }))).toMatchObject({ action: 'install', commands: [PLAYWRIGHT_INSTALL] });
  });

  it('stops with the exact command when it may not install', () => {
    const cases: [Partial<Facts>, string][] = [
      [{ uid: 1000 }, 'sudo apt-get install -y chromium'],
      [{ uid: 0, hasApt: false }, 'npx playwright install --with-deps chromium'],
      [{ uid: 0, os: ['fedora'] }, 'npx playwright install --with-deps chromium'],
      [{ uid: 1000, os: ['ubuntu', 'debian'] }, 'npx playwright install --with-deps chromium'],
      [{ uid: 501, platform: 'darwin', os: [] }, 'npx playwright install chromium'],
      [{ uid: null, platform: 'win32', os: [] }, 'npx playwright install chromium'],
    ];
    for (const [over, command] of cases) {
      const d = chooseBrowser(facts(over));
      expect(d.action, JSON.stringify(over)).toBe('stop');
      if (d.action === 'stop') expect(d.message).toContain(`\n    ${command}\n`);
    }
  });

  it('looks at every usual path before giving up, and says where it looked', () => {
    const looked: string[] = [];
    const d = chooseBrowser(facts({ runs: (p) => (looked.push(p), false) }));
    expect(looked).toEqual([...systemPaths('linux'), PW]);
    if (d.action === 'stop') for (const p of looked) expect(d.message).toContain(p);
  });
});

describe('parseOsRelease', () => {
  it('reads ID and ID_LIKE, quoted or not', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')).toEqual(['debian']);
    expect(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n')).toEqual(['ubuntu', 'debian']);
    expect(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n')).toEqual(['rocky', 'rhel', 'centos', 'fedora']);
  });
});
