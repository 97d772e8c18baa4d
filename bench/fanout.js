'use strict';
// 2. Bid fan-out: S graphql-ws subscribers on bidUpdates through the gateway (a third each the
// request's buyer, operators, and carriers the request was distributed to: every view of the
// board), while carriers submit bids at a steady rate. The moderator publishes a bid's event
// before it answers submitBid, so events often arrive before the response; the latency goal is
// therefore measured from the moment the event became observable (the earlier of the submitBid
// response and the event's first delivery) to each subscriber's receipt. Also reported: from the
// response (clamped at 0) and from the moment the mutation was sent. Lost: (bid, subscriber)
// pairs not delivered within the grace period after the last bid.
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');
const { startStack, procCpu } = require('./lib/stack');
const { registerParties, createRequest } = require('./lib/parties');
const { gqlOk, token, nowMs, scaled, round, sleep, summarize } = require('./lib/util');

const SUBSCRIPTION = `subscription($r: ID!) { bidUpdates(requestId: $r) { requestId kind at board { bidCount bestRate entries { rank pseudonym estimatedCost } } } }`;
const SUBMIT = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id submittedAt } }`;
const CARRIERS = 10;

async function run(ctx) {
  const subscribers = scaled(1000, 50);
  const bids = scaled(20, 10);
  const ratePerSec = Number(process.env.BENCH_BID_RATE ?? '0.5');
  // One machine plays every subscriber, a third of them under one buyer token: the per-address and
  // per-identity WebSocket limits (docs/SECURITY.md) are raised above the subscriber count.
  const many = String(subscribers * 2);
  const stack = await startStack({
    mongoUri: ctx.db.uri,
    gatewayEnv: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '10', WS_MAX_CONNECTIONS_PER_ADDRESS: many, WS_MAX_CONNECTIONS_PER_IDENTITY: many, MAX_SUBSCRIPTIONS_PER_IDENTITY: many },
  });
  const clients = [];
  try {
    const gw = stack.gateway.url;
    const carriers = Array.from({ length: CARRIERS }, (_, i) => ({ id: `fan-carrier-${i}`, coverage: ['44'] }));
    await registerParties(gw, { buyers: ['fan-buyer'], carriers });
    const req = await createRequest(gw, 'fan-buyer');
    const tokens = {
      buyer: await token('BUYER', 'fan-buyer'),
      carriers: await Promise.all(carriers.map((c) => token('CARRIER', c.id))),
    };

    // at (ISO instant of the bid) -> per-subscriber receipt times; filled by the subscribers.
    const receipts = new Map();
    const perSubscriber = new Array(subscribers).fill(0);
    const errors = [];
    const subTokens = await Promise.all(
      Array.from({ length: subscribers }, (_, i) => (i % 3 === 0 ? tokens.buyer : i % 3 === 1 ? token('ADMIN', `fan-ops-${i}`) : tokens.carriers[i % CARRIERS])),
    );
    for (let i = 0; i < subscribers; i++) {
      const client = createClient({
        url: gw.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${subTokens[i]}` },
      });
      clients.push(client);
      client.subscribe(
        { query: SUBSCRIPTION, variables: { r: req.id } },
        {
          next: (v) => {
            const t = nowMs();
            if (v.errors) errors.push(v.errors[0]?.message);
            const at = v.data?.bidUpdates?.at;
            if (!at) return;
            let r = receipts.get(at);
            if (!r) receipts.set(at, (r = []));
            r.push(t);
            perSubscriber[i]++;
          },
          error: (e) => errors.push(String(e?.message ?? e?.reason ?? e)),
          complete: () => undefined,
        },
      );
      if (i % 50 === 49) await sleep(50); // a gentle ramp: 50 connections at a time
    }

    // Warm-up bid: doubles as the barrier proving every subscription is live end to end.
    const submit = async (k) => {
      const carrier = k % CARRIERS;
      const rate = (0.02 - (k % 997) * 0.00001).toFixed(6);
      const sent = nowMs();
      const out = (await gqlOk(gw, SUBMIT, { input: { requestId: req.id, incentive: { currency: 'USD', ratePerUnit: rate } } }, tokens.carriers[carrier])).submitBid;
      return { at: out.submittedAt, sent, answered: nowMs() };
    };
    // Barrier: warm-up bids until every subscriber has received one, proving each subscription is
    // live end to end (graphql-ws does not acknowledge a subscribe). Then the counters restart.
    const readyBy = Date.now() + 180_000;
    let warmups = 0;
    while (perSubscriber.some((n) => n === 0)) {
      if (Date.now() > readyBy) {
        throw new Error(`only ${perSubscriber.filter((n) => n > 0).length} of ${subscribers} subscriptions are live: ${errors.slice(0, 3).join('; ')}`);
      }
      await submit(0);
      warmups++;
      await sleep(2000);
    }
    await sleep(1000);
    receipts.clear();

    const cpu0 = { gateway: procCpu(stack.gateway.pid), moderator: procCpu(stack.moderator.pid), bench: process.cpuUsage() };
    const sentBids = [];
    const submitErrors = [];
    const intervalMs = 1000 / ratePerSec;
    const t0 = nowMs();
    const inFlight = [];
    for (let k = 1; k <= bids; k++) {
      const due = t0 + (k - 1) * intervalMs;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      // Failures are collected (a rejected promise must not wait unobserved until Promise.all).
      inFlight.push(submit(k).then((b) => sentBids.push(b), (err) => submitErrors.push(String(err.message ?? err))));
    }
    await Promise.all(inFlight);
    const wallSec = (nowMs() - t0) / 1000;
    // Grace period for stragglers: until every event arrived, at most 10 s.
    const graceBy = Date.now() + 10_000;
    const complete = () => sentBids.every((b) => (receipts.get(b.at)?.length ?? 0) >= subscribers);
    while (!complete() && Date.now() < graceBy) await sleep(100);
    const own = process.cpuUsage(cpu0.bench);
    const cpu = {
      gateway: procCpu(stack.gateway.pid) - cpu0.gateway,
      moderator: procCpu(stack.moderator.pid) - cpu0.moderator,
      client: (own.user + own.system) / 1e6,
    };

    const fromResponse = [];
    const fromSend = [];
    const spread = [];
    let early = 0;
    let lost = 0;
    let duplicates = 0;
    for (const b of sentBids) {
      const r = receipts.get(b.at) ?? [];
      if (r.length < subscribers) lost += subscribers - r.length;
      if (r.length > subscribers) duplicates += r.length - subscribers;
      // The event is observable from the earlier of the response and its first delivery.
      const ref = Math.min(b.answered, ...r);
      for (const t of r) {
        const d = t - b.answered;
        if (d < 0) early++;
        fromResponse.push(Math.max(0, d));
        fromSend.push(t - b.sent);
        spread.push(t - ref);
      }
    }
    const f = summarize(spread);
    const a = summarize(fromResponse);
    const s = summarize(fromSend);
    const deliveries = fromResponse.length;
    return {
      subscribers,
      bids,
      bidsPerSec: ratePerSec,
      deliveries,
      deliveriesPerSec: round(deliveries / wallSec, 0),
      latencyMs: { p50: round(f.p50, 1), p99: round(f.p99, 1), max: round(f.max, 1) },
      latencyFromResponseMs: { p50: round(a.p50, 1), p99: round(a.p99, 1), max: round(a.max, 1) },
      latencyFromSendMs: { p50: round(s.p50, 1), p99: round(s.p99, 1), max: round(s.max, 1) },
      eventsBeforeResponse: early,
      lost,
      duplicates,
      failedBids: submitErrors.length,
      failedBidErrors: submitErrors.slice(0, 3),
      errors: errors.length,
      cpuSeconds: { gateway: round(cpu.gateway, 1), moderator: round(cpu.moderator, 1), subscribersClient: round(cpu.client, 1) },
      // CPU each delivery costs: the moderator executes the subscription once per subscriber and
      // event, and the gateway completes and forwards each; on 2 cores this bounds the fan-out.
      cpuMsPerDelivery: {
        moderator: round((cpu.moderator * 1000) / Math.max(1, deliveries), 3),
        gateway: round((cpu.gateway * 1000) / Math.max(1, deliveries), 3),
        subscribersClient: round((cpu.client * 1000) / Math.max(1, deliveries), 3),
      },
      goals: { p99Ms: 100, lost: 0 },
      met: f.p99 !== null && f.p99 < 100 && lost === 0 && submitErrors.length === 0,
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack.stop();
  }
}

module.exports = { run };
