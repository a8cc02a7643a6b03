import { defineConfig } from 'vite';

// Preact's JSX through esbuild (no framework plugin to install). Everything the page needs is in
// dist/: no CDN, no inline script or style (the server's Content-Security-Policy forbids both),
// no asset inlined as a data: URL.
export default defineConfig({
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
