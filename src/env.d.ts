/// <reference types="vite-plugin-pwa/vanillajs" />
/** The app's version (package.json, or INFOMAX_VERSION at build time); see vite.config.ts. */
declare const __APP_VERSION__: string;
