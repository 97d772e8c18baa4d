'use strict';
// A peer for the `peers` benchmark: Hive Gateway (@graphql-hive/gateway) with its defaults, serving
// the project's composed supergraph (SUPERGRAPH_PATH, URLs already pointing at the benchmark's
// subgraphs) on node:http at PORT. HIVE_RUST=1 plugs in the Rust query planner
// (@graphql-hive/router-runtime). The caller's Authorization header is forwarded to the subgraphs,
// which authorise every field by it (as the project's gateway does).
const http = require('node:http');
const { createGatewayRuntime } = require('@graphql-hive/gateway');

const options = {
  supergraph: process.env.SUPERGRAPH_PATH,
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? undefined }),
  },
};
if (process.env.HIVE_RUST === '1') options.unifiedGraphHandler = require('@graphql-hive/router-runtime').unifiedGraphHandler;

const gateway = createGatewayRuntime(options);
const server = http.createServer(gateway);
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => {
  server.close();
  Promise.resolve(gateway.dispose?.()).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
