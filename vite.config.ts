import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

/** The version shown in the page and stamped on every built file: package.json's, or INFOMAX_VERSION. */
const version = process.env.INFOMAX_VERSION || (JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }).version;
// A comment naming the version at the top of every chunk (page and workers), so each release's files
// differ and a tab of the previous release is seen fetching its own files, never the new ones.
const banner = `/*! InfoMax Lab ${version} */`;

// base './' so the built app works from any sub-path of any static file server.
export default defineConfig({
  base: './',
  publicDir: 'static',
  define: { __APP_VERSION__: JSON.stringify(version) },
  plugins: [
    svelte(),
    // Offline use and updates (src/sw.ts): Workbox precaching, prompt-to-reload (src/ui/update.svelte.ts).
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*'],
        globIgnores: ['**/*.map', 'sw.js'],
        // the training worker chunk is ~1.7 MB, over Workbox's 2 MiB default once a backend grows
        maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
        rollupFormat: 'iife',
      },
    }),
  ],
  worker: { format: 'es', rollupOptions: { output: { banner } } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, rollupOptions: { output: { banner } } },
  test: {
    include: ['src/**/*.test.ts', 'cli/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest leaves one core to itself (cores − 1 workers): on CI's 2 cores that ran every file on one core while
    // the main process idled. The test files are independent (own fake IndexedDB names, tfjs per fork).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
