'use strict';
// The portal's own query texts, read from its .graphql files at bench time so the benchmark sends
// what the portal sends (and breaks loudly when a file it names is renamed). Documents are
// assembled by the function the portal's Vite build uses: the operation, then every fragment file
// it `#import`s.
const fs = require('node:fs');
const path = require('node:path');
const { graphqlDocument } = require('../../portal/graphql-documents.cjs');

const PORTAL_SRC = path.join(__dirname, '..', '..', 'portal', 'src');

/** The portal documents named by path under portal/src (e.g. 'pages/bills/bills.graphql'), whitespace collapsed. */
function portalQueries(refs, dir = PORTAL_SRC) {
  return Object.fromEntries(
    refs.map((ref) => {
      const file = path.join(dir, ref);
      if (!fs.existsSync(file)) throw new Error(`portal/src has no ${ref}`);
      return [ref, graphqlDocument(file).text.replace(/\s+/g, ' ').trim()];
    }),
  );
}

module.exports = { portalQueries };
