// Preact through esbuild's automatic JSX runtime: no framework plugin needed.
import { defineConfig } from 'vite';
import { createRequire } from 'node:module';

// Loaded at run time, not bundled into the config: the test and the bench require the same file.
const documents = createRequire(import.meta.url)('./graphql-documents.cjs');

// `import DOC from './x.graphql'` gives the operation's text with its imported fragments appended.
const graphqlFiles = {
  name: 'portal-graphql',
  transform(_code, id) {
    if (!id.endsWith('.graphql')) return null;
    const { text, files } = documents.graphqlDocument(id);
    for (const f of files) this.addWatchFile(f);
    return { code: `export default ${JSON.stringify(text)};`, map: null };
  },
};

export default defineConfig({
  base: '/portal/',
  plugins: [graphqlFiles],
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
