/** What the browser benchmarks share: a tiny static server for a built folder, and Debian's Chromium. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium } from '@playwright/test';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.wasm': 'application/wasm' };

/**
 * Serve `dir` on a free loopback port. `pages` answers given paths with fixed HTML (e.g. a bench page
 * that is not a file); '/' means index.html unless `pages` names it.
 */
export async function serveStatic(dir: string, pages: Record<string, string> = {}): Promise<{ port: number; close: () => void }> {
  const server = createServer((req, res) => {
    // Strip leading '..' segments: the server never reads outside `dir`.
    const path = normalize(decodeURIComponent((req.url ?? '/').split(/[?#]/)[0])).replace(/^(\.\.[/\\])+/, '');
    if (pages[path] !== undefined) return void res.writeHead(200, { 'content-type': 'text/html' }).end(pages[path]);
    try {
      const file = join(dir, path === '/' ? 'index.html' : path);
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update'],
  });
}
