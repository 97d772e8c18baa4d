// Preact through esbuild's automatic JSX runtime: no framework plugin needed.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/portal/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The gateway's Content-Security-Policy allows no inline script.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev -w portal` against a gateway on :4000.
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/portal/demo-token': 'http://127.0.0.1:4000' },
  },
});
