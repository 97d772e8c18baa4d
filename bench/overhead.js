'use strict';
// 3. Gateway overhead: a federated page of 20 bills with their buyer, carrier and request (owned by
// the moderator) through the gateway, versus the same fields fetched from the owning subgraphs
// directly (the billing page, then one _entities call to the moderator for the references: the
// two fetches the gateway's query plan makes). Latency is measured one request at a time with the
// two paths alternating; throughput with 8 requests in flight.
const { startStack, procCpu } = require('./lib/stack');
const { seedFederated, directFederatedBills, FEDERATED_BILLS } = require('./lib/federated');
const { gqlOk, token, scaled, round, summarize, closedLoop, nowMs } = require('./lib/util');

const PAGE = 20;

async function run(ctx) {
  const n = scaled(600, 100);
  const stack = await startStack({ mongoUri: ctx.db.uri });
  try {
    await seedFederated(stack, { bills: 40 });
    const admin = await token('ADMIN', 'bench-admin');
    const viaGateway = () => gqlOk(stack.gateway.url, FEDERATED_BILLS, { n: PAGE }, admin);
    const direct = () => directFederatedBills(stack, PAGE, admin);
    // Same answer both ways (sanity), then warm-up.
    const g = (await viaGateway()).bills.nodes;
    const d = await direct();
    if (JSON.stringify(g) !== JSON.stringify(d)) throw new Error('gateway and direct answers differ');
    for (let i = 0; i < 50; i++) {
      await viaGateway();
      await direct();
    }
    const lat = { gateway: [], direct: [] };
    for (let i = 0; i < n; i++) {
      let t = nowMs();
      await viaGateway();
      lat.gateway.push(nowMs() - t);
      t = nowMs();
      await direct();
      lat.direct.push(nowMs() - t);
    }
    const gw = summarize(lat.gateway);
    const dr = summarize(lat.direct);
    const cpu0 = procCpu(stack.gateway.pid);
    const tg = await closedLoop(n, 8, () => viaGateway());
    const gatewayCpu = procCpu(stack.gateway.pid) - cpu0;
    const td = await closedLoop(n, 8, () => direct());
    const ratioP50 = gw.p50 / dr.p50;
    return {
      query: `bills(first: ${PAGE}) with buyer, carrier, request`,
      requests: n,
      gatewayMs: { p50: round(gw.p50, 2), p99: round(gw.p99, 2) },
      directMs: { p50: round(dr.p50, 2), p99: round(dr.p99, 2) },
      ratioP50: round(ratioP50, 2),
      ratioP99: round(gw.p99 / dr.p99, 2),
      gatewayRps: round(n / (tg.wallMs / 1000), 0),
      directRps: round(n / (td.wallMs / 1000), 0),
      throughputRatio: round(n / (tg.wallMs / 1000) / (n / (td.wallMs / 1000)), 2),
      gatewayCpuMsPerRequest: round((gatewayCpu * 1000) / n, 2),
      goals: { ratioP50Max: 1.5 },
      met: ratioP50 <= 1.5,
    };
  } finally {
    await stack.stop();
  }
}

module.exports = { run };
