import { defineConfig } from 'vite';

// Preact's JSX through esbuild (no framework plugin to install). Everything the page needs is in
// dist/: no CDN, no inline script or style (the server's Content-Security-Policy forbids both),
// no asset inlined as a data: URL.
// `vite` (the dev server) hands the API's paths to a running Packrun: PACKRUN_API_URL, or
// `packrun up`'s default address.
const api = process.env['PACKRUN_API_URL'] ?? 'http://127.0.0.1:9101';

export default defineConfig({
  server: {
    proxy: Object.fromEntries(['/api', '/v1', '/auth', '/stream'].map((prefix) => [prefix, { target: api, changeOrigin: false }])),
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
