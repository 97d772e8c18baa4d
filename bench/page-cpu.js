'use strict';
// CPU per federated 20-bill portal page, by process (gateway, billing, moderator, database), and
// the database round trips each page causes, by command and collection. 32 buyers with 20 bills
// each; every page is asked with a different buyer's token in turn, one at a time, so the figure
// is the stack's cost of one page and not of concurrency.
//
//   node bench/page-cpu.js                    PAGES=300 (default) pages after 64 warm-up pages
//   PAGE_CPU_VERBOSE=1 node bench/page-cpu.js also prints round trips by collection
const { startDatabase, startCountingProxy } = require('./lib/db');
const { startStack, procCpu } = require('./lib/stack');
const { FEDERATED_BILLS, seedFederated } = require('./lib/federated');
const { token, gqlOk } = require('./lib/util');

const BUYERS = Number(process.env.PAGE_BUYERS ?? 32);
const PER_BUYER = 20;
const CARRIERS = 5;
/** The bench's federated world (bench/lib/federated.js), a few bills at a time: seeding is not what is measured. */
const seed = (stack) => seedFederated(stack, { bills: BUYERS * PER_BUYER, buyers: BUYERS, carriers: CARRIERS, concurrency: 4 });

async function main() {
  const pages = Number(process.env.PAGES ?? 300);
  const db = await startDatabase();
  const proxy = await startCountingProxy(db.uri);
  const stack = await startStack({ mongoUri: proxy.uri });
  try {
    const t0 = Date.now();
    const buyerIds = await seed(stack);
    console.log(`seeded ${BUYERS * PER_BUYER} bills in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const tokens = await Promise.all(buyerIds.map((b) => token('BUYER', b)));
    const ask = async (i) => {
      const data = await gqlOk(stack.gateway.url, FEDERATED_BILLS, { n: 20 }, tokens[i % BUYERS]);
      const nodes = data.bills.nodes;
      if (nodes.length !== PER_BUYER) throw new Error(`expected ${PER_BUYER} bills, got ${nodes.length}`);
      for (const b of nodes) {
        if (b.buyer.id !== buyerIds[i % BUYERS] || !b.buyer.name || !b.carrier.name || !b.request?.status) throw new Error(`incomplete bill ${JSON.stringify(b)}`);
      }
    };
    for (let i = 0; i < 2 * BUYERS; i++) await ask(i);
    const procs = { gateway: stack.gateway.pid, billing: stack.billing.pid, moderator: stack.moderator.pid, ...(db.pid ? { database: db.pid } : {}) };
    const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, procCpu(pid)]));
    proxy.reset();
    const w0 = Date.now();
    for (let i = 0; i < pages; i++) await ask(i);
    const wall = Date.now() - w0;
    const rt = proxy.snapshot();
    const perPage = {};
    let total = 0;
    for (const [k, pid] of Object.entries(procs)) {
      const ms = ((procCpu(pid) - cpu0[k]) * 1000) / pages;
      perPage[k] = Math.round(ms * 100) / 100;
      total += ms;
    }
    perPage.stack = Math.round(total * 100) / 100;
    console.log(`pages ${pages}, wall ${(wall / pages).toFixed(2)} ms/page`);
    console.log('CPU ms per page (user+system, /proc):', JSON.stringify(perPage));
    console.log(`database round trips per page: ${(rt.total / pages).toFixed(2)}`,
      JSON.stringify(Object.fromEntries(Object.entries(rt.byCommand).map(([k, v]) => [k, Math.round((v / pages) * 100) / 100]))));
    if (process.env.PAGE_CPU_VERBOSE) {
      for (const [k, v] of Object.entries(rt.byTarget).sort((a, b) => b[1].n - a[1].n)) console.log(`  ${k}: ${(v.n / pages).toFixed(2)}/page, ${(v.ms / pages).toFixed(2)} ms/page`);
    }
    if (process.env.PAGE_CPU_HOLD) {
      console.log(`holding: gateway ${stack.gateway.url} db pid ${db.pid}; tokens in /tmp/page-cpu-tokens.json`);
      require('node:fs').writeFileSync('/tmp/page-cpu-tokens.json', JSON.stringify({ url: stack.gateway.url, tokens, dbPid: db.pid, pids: procs }));
      await new Promise((r) => setTimeout(r, Number(process.env.PAGE_CPU_HOLD) * 1000));
    }
  } finally {
    await stack.stop();
    await proxy.stop();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
