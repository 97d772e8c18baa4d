'use strict';
// What `npm start` checks before it starts anything: each service's own configuration loader
// (from the built dist/), so that, for instance, NODE_ENV=production without keys stops at once
// with every missing setting named, instead of after the embedded database has started.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const LOADERS = [
  ['moderator-subgraph/dist/config.js', 'loadModeratorConfig'],
  ['billing-subgraph/dist/config.js', 'loadBillingConfig'],
  ['gateway/dist/config.js', 'loadGatewayConfig'],
  ['demo-market/dist/config.js', 'loadDemoMarketConfig'],
];

/** Problems (one per bad or missing variable, deduplicated) of every service for `env`. */
function serviceConfigProblems(env) {
  const problems = [];
  for (const [file, fn] of LOADERS) {
    let load;
    try {
      load = require(path.join(ROOT, file))[fn];
    } catch {
      continue; // not built: the service itself reports it when started
    }
    try {
      load(env);
    } catch (err) {
      if (!Array.isArray(err && err.problems)) throw err;
      for (const p of err.problems) if (!problems.includes(p)) problems.push(p);
    }
  }
  return problems;
}

module.exports = { serviceConfigProblems };
