'use strict';
// The portal's GraphQL documents live in .graphql files beside the pages that send them, one
// operation a file. A file names the fragment files it spreads with `#import "./x.graphql"` lines
// (graphql-tag's convention); a document is the file followed by every fragment file it imports,
// transitively, each once. The Vite build (vite.config.js), the schema validation test and the
// peer bench all read documents through this one function, so they send and check the same text.
const fs = require('node:fs');
const path = require('node:path');

const IMPORT = /^#import\s+"([^"]+)"\s*$/;

/** The file's own text without its comment lines (`#import`s among them), and the absolute paths it imports. */
function readOne(file) {
  const imports = [];
  const body = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      const m = IMPORT.exec(line.trim());
      if (m) imports.push(path.resolve(path.dirname(file), m[1]));
      return !line.trim().startsWith('#');
    })
    .join('\n')
    .trim();
  return { body, imports };
}

/** The document of `file` (absolute path): its text then its fragment files', and every file read. */
function graphqlDocument(file) {
  const order = [];
  const visit = (f, from) => {
    if (order.includes(f)) return;
    if (!fs.existsSync(f)) throw new Error(`${from ?? 'portal'} imports ${f}, which does not exist`);
    order.push(f);
    for (const i of readOne(f).imports) visit(i, f);
  };
  visit(path.resolve(file));
  return { text: order.map((f) => readOne(f).body).join('\n'), files: order };
}

/** Every .graphql file under `dir`, absolute paths, sorted. */
function graphqlFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return graphqlFiles(p);
      return e.name.endsWith('.graphql') ? [p] : [];
    })
    .sort();
}

module.exports = { graphqlDocument, graphqlFiles };
