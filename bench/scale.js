'use strict';
// 7. Flat cost as data grows: with 2,000, then 200,000 (and 1,000,000 at full scale) stored calls
// in billing, through the gateway: a buyer's usage summary, the first page of bills, the first
// page of rejected usage, and the time from closeBidding to the advance bill. Goal: each at the
// largest size ≤ 2× its figure at 2,000 calls.
//
// Calls are stored through billing's own ingestUsage (as a meter would send them: associated with
// the buyer's request and rated; 1 % refused, so rejected usage grows with them), in batches of
// 1,000, two in flight. Seeding is not timed. Each figure is the median of repeated calls.
const { startStack } = require('./lib/stack');
const { registerParties } = require('./lib/parties');
const { gqlOk, token, nowMs, summarize, round, scaled, SCALE, sleep } = require('./lib/util');

const BUYER = 'scale-buyer';
const CARRIER = 'scale-carrier';
const REQUEST = 'scale-req';
const T0 = Date.parse('2026-10-01T00:00:00Z');
const REPEAT = 15;

const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index } } }`;
const RECORD_SELECTION = `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`;
const SUMMARY = `query($id: ID!) { serviceRequest(id: $id) { id usageSummary { period records billableQuantity amount { amount currency } } } }`;
const BILLS = `{ bills(first: 20) { nodes { id kind total { amount currency } } } }`;
const REJECTED = `{ rejectedUsage(first: 20) { nodes { recordId reason } } }`;

function call(n) {
  const start = T0 + ((n * 7919) % (29 * 86_400)) * 1000;
  const secs = 1 + ((n * 104729) % 900);
  const rec = {
    recordId: `scale-${n}`,
    source: 'MEASURING_EQUIPMENT',
    buyerId: BUYER,
    carrierId: CARRIER,
    requestId: REQUEST,
    intervalStart: new Date(start).toISOString(),
    intervalEnd: new Date(start + secs * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(secs),
  };
  // One call in a hundred cannot be true (a negative duration) and is kept as rejected.
  if (n % 100 === 99) rec.quantity = '-1';
  return rec;
}

async function seed(url, from, to, agent) {
  const BATCH = 1000;
  const batches = [];
  for (let i = from; i < to; i += BATCH) batches.push([i, Math.min(to, i + BATCH)]);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const [a, b] = batches[next++];
      await gqlOk(url, INGEST, { records: Array.from({ length: b - a }, (_, k) => call(a + k)) }, agent);
    }
  };
  await Promise.all([worker(), worker()]);
}

async function median(fn) {
  await fn(); // warm
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = nowMs();
    await fn();
    times.push(nowMs() - t);
  }
  return summarize(times).p50;
}

let requests = 0;
/** A request created, bid on and closed by hand; resolves when its ADVANCE bill is readable. */
async function closeToAdvanceBill(gw, buyerToken, carrierToken) {
  const now = Date.now();
  const input = {
    routes: [{ origin: '1', destination: '4420' }],
    serviceType: 'VOICE',
    quantity: '100',
    unit: 'MINUTE',
    interval: { start: new Date(now + 2 * 86_400_000).toISOString(), end: new Date(now + 32 * 86_400_000).toISOString() },
    biddingClosesAt: new Date(now + 86_400_000).toISOString(),
  };
  const id = (await gqlOk(gw, `mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`, { input }, buyerToken)).createServiceRequest.id;
  await gqlOk(gw, `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`, { input: { requestId: id, incentive: { currency: 'USD', ratePerUnit: '0.01' } } }, carrierToken);
  requests++;
  const t = nowMs();
  await gqlOk(gw, `mutation($id: ID!) { closeBidding(requestId: $id) { id status } }`, { id }, buyerToken);
  for (;;) {
    const d = await gqlOk(gw, `query($f: BillFilter) { bills(filter: $f, first: 5) { nodes { id kind } } }`, { f: { requestId: id } }, buyerToken);
    if (d.bills.nodes.some((b) => b.kind === 'ADVANCE')) return nowMs() - t;
    if (nowMs() - t > 120_000) throw new Error(`no ADVANCE bill for ${id} within 120 s of closeBidding`);
    await sleep(10);
  }
}

async function measure(gw, tokens) {
  const summary = await median(() => gqlOk(gw, SUMMARY, { id: REQUEST }, tokens.buyer));
  const bills = await median(() => gqlOk(gw, BILLS, {}, tokens.buyer));
  const rejected = await median(() => gqlOk(gw, REJECTED, {}, tokens.agent));
  const closes = [];
  for (let i = 0; i < 5; i++) closes.push(await closeToAdvanceBill(gw, tokens.buyer, tokens.carrier));
  return { usageSummaryMs: round(summary, 2), billsPageMs: round(bills, 2), rejectedPageMs: round(rejected, 2), closeToAdvanceBillMs: round(summarize(closes).p50, 1) };
}

async function run({ db, log }) {
  const sizes = [2000, scaled(200_000, 20_000), ...(SCALE >= 1 ? [1_000_000] : [])];
  const stack = await startStack({ mongoUri: db.uri, moderatorEnv: { SCHEDULER_INTERVAL_MS: '200', OUTBOX_INTERVAL_MS: '100' } });
  try {
    const gw = stack.gateway.url;
    await registerParties(stack.moderator.url, { buyers: [BUYER], carriers: [{ id: CARRIER, coverage: ['44'] }] });
    const tokens = { buyer: await token('BUYER', BUYER), carrier: await token('CARRIER', CARRIER), agent: await token('BILLING_AGENT', 'scale-agent') };
    await gqlOk(
      stack.billing.url,
      RECORD_SELECTION,
      {
        input: {
          selectionId: 'scale-sel', requestId: REQUEST, buyerId: BUYER, buyerIsReseller: false, carrierId: CARRIER,
          routes: [{ origin: '1', destination: '44' }], serviceType: 'VOICE',
          interval: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' }, quantity: '1000000', unit: 'MINUTE',
          incentive: { currency: 'USD', ratePerUnit: '0.010000', tierModel: 'GRADUATED', tiers: [{ fromQuantity: '30000', ratePerUnit: '0.008000' }] },
          selectedAt: '2026-09-20T12:00:00Z',
        },
      },
      await token('MODERATOR', 'moderator'),
    );
    const points = [];
    let stored = 0;
    for (const size of sizes) {
      const t = nowMs();
      await seed(stack.billing.url, stored, size, tokens.agent);
      log(`bench: scale: ${size.toLocaleString('en-US')} calls stored (seeding ${round((nowMs() - t) / 1000, 1)} s)`);
      stored = size;
      points.push({ calls: size, ...(await measure(gw, tokens)) });
    }
    const base = points[0];
    const last = points[points.length - 1];
    const ratio = (k) => round(last[k] / base[k], 2);
    const ratios = { usageSummary: ratio('usageSummaryMs'), billsPage: ratio('billsPageMs'), rejectedPage: ratio('rejectedPageMs'), closeToAdvanceBill: ratio('closeToAdvanceBillMs') };
    return { points, ratios, met: Object.values(ratios).every((r) => r <= 2) };
  } finally {
    await stack.stop();
  }
}

module.exports = { run };
