'use strict';
// 6. Entity batching: database round trips (requests on the wire to the database, counted by a
// proxy in front of each subgraph's connection) for one federated page of bills with their buyer,
// carrier and request, at 10 and at 100 bills. Background workers are off so every round trip
// counted belongs to the query. Goal: the count does not grow with the page size.
const { startCountingProxy } = require('./lib/db');
const { startStack } = require('./lib/stack');
const { seedFederated, FEDERATED_BILLS } = require('./lib/federated');
const { gqlOk, token, sleep } = require('./lib/util');

async function run(ctx) {
  const billingProxy = await startCountingProxy(ctx.db.uri);
  const moderatorProxy = await startCountingProxy(ctx.db.uri);
  const stack = await startStack({
    mongoUri: ctx.db.uri,
    billingUri: billingProxy.uri,
    moderatorUri: moderatorProxy.uri,
    billingEnv: { WORKERS: 'false' },
    moderatorEnv: { SCHEDULER_ENABLED: 'false', OUTBOX_ENABLED: 'false' },
  });
  try {
    await seedFederated(stack, { bills: 100 });
    const admin = await token('ADMIN', 'bench-admin');
    const measure = async (n) => {
      await gqlOk(stack.gateway.url, FEDERATED_BILLS, { n }, admin); // warm-up (connections, caches)
      await sleep(200);
      billingProxy.reset();
      moderatorProxy.reset();
      const out = await gqlOk(stack.gateway.url, FEDERATED_BILLS, { n }, admin);
      await sleep(200);
      const b = billingProxy.snapshot();
      const m = moderatorProxy.snapshot();
      const nodes = out.bills.nodes;
      const complete = nodes.length === n && nodes.every((x) => x.buyer?.name && x.carrier?.name && x.request?.status);
      return { bills: nodes.length, complete, billing: b.total, moderator: m.total, total: b.total + m.total, billingByCommand: b.byCommand, moderatorByCommand: m.byCommand };
    };
    const small = await measure(10);
    const large = await measure(100);
    return {
      query: 'bills(first: N) { buyer { name } carrier { name } request { status quantity } … }',
      at10: small,
      at100: large,
      ratio: large.total / small.total,
      goals: { constant: true },
      met: small.complete && large.complete && large.total <= small.total,
    };
  } finally {
    await stack.stop();
    await billingProxy.stop();
    await moderatorProxy.stop();
  }
}

module.exports = { run };
