'use strict';
// `npm run compose`: compose the subgraph SDLs (each beside its code, <subgraph>/src/graphql/schema.graphql)
// into schema/supergraph.graphql at build
// time, so the gateway never depends on introspecting live subgraphs in production.
// `--check` exits non-zero when the committed supergraph is stale.
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('graphql');
const { composeServices } = require('@apollo/composition');

const ROOT = path.resolve(__dirname, '..');
const SCHEMA_DIR = path.join(ROOT, 'schema');
const SUBGRAPHS = [
  { name: 'moderator', file: 'moderator-subgraph/src/graphql/schema.graphql', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'billing', file: 'billing-subgraph/src/graphql/schema.graphql', url: 'http://127.0.0.1:4002/graphql' },
];
const OUT = path.join(SCHEMA_DIR, 'supergraph.graphql');

function compose() {
  const result = composeServices(
    SUBGRAPHS.map((s) => ({
      name: s.name,
      url: s.url,
      typeDefs: parse(fs.readFileSync(path.join(ROOT, s.file), 'utf8')),
    })),
  );
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  for (const h of result.hints ?? []) if (process.env.COMPOSE_HINTS) console.error(`hint: ${h.message}`);
  return result.supergraphSdl.trimEnd() + '\n';
}

module.exports = { compose, OUT, SUBGRAPHS: SUBGRAPHS.map((s) => ({ ...s, file: path.join(ROOT, s.file) })) };

if (require.main === module) {
  try {
    const sdl = compose();
    if (process.argv.includes('--check')) {
      const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
      if (current !== sdl) {
        console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit it.');
        process.exit(1);
      }
      console.log('schema/supergraph.graphql is current.');
    } else {
      fs.writeFileSync(OUT, sdl);
      console.log(`Wrote ${path.relative(process.cwd(), OUT)}`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
