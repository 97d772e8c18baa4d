'use strict';
// The portal's own query texts, read from portal/src at bench time so the benchmark sends what the
// portal sends (and breaks loudly when a query it names is renamed). A query is a template literal
// constant (`const NAME = \`…\``); `${OTHER}` inside it is another such constant (BILL_ROW, …).
const fs = require('node:fs');
const path = require('node:path');

const PORTAL_SRC = path.join(__dirname, '..', '..', 'portal', 'src');

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

/** Every `const NAME = \`…\`` of one source file: name → { text, exported }. */
function templateConstants(src) {
  const out = new Map();
  for (const m of src.matchAll(/(\bexport )?\bconst ([A-Z][A-Z0-9_]*) = `([^`]*)`/g)) out.set(m[2], { text: m[3], exported: !!m[1] });
  return out;
}

/**
 * The text of constant `name` of `file` with every `${X}` replaced: X of the same file, else the one
 * exported X of another file (as the portal's imports resolve it).
 */
function resolveConstant(files, file, name, seen = []) {
  const key = `${file}:${name}`;
  if (seen.includes(key)) throw new Error(`portal query constants refer to each other: ${[...seen, key].join(' → ')}`);
  let where = files.get(file)?.has(name) ? file : undefined;
  if (!where) {
    const exporters = [...files].filter(([, c]) => c.get(name)?.exported).map(([f]) => f);
    if (exporters.length !== 1) throw new Error(`portal/src: ${exporters.length ? 'several files export' : 'no file has'} a query constant ${name} (used by ${file})`);
    where = exporters[0];
  }
  return files
    .get(where)
    .get(name)
    .text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, inner) => resolveConstant(files, where, inner, [...seen, key]));
}

/** Reads portal/src (or `dir`): relative file path → its template constants. */
function readPortal(dir = PORTAL_SRC) {
  return new Map(sourceFiles(dir).map((f) => [path.relative(dir, f), templateConstants(fs.readFileSync(f, 'utf8'))]));
}

/** The portal queries named 'file:CONSTANT' (e.g. 'pages/bills.tsx:BILLS'), whitespace collapsed. */
function portalQueries(refs, dir = PORTAL_SRC) {
  const files = readPortal(dir);
  return Object.fromEntries(
    refs.map((ref) => {
      const [file, name] = ref.split(':');
      if (!files.has(file)) throw new Error(`portal/src has no ${file}`);
      return [ref, resolveConstant(files, file, name).replace(/\s+/g, ' ').trim()];
    }),
  );
}

module.exports = { portalQueries, templateConstants, resolveConstant };
