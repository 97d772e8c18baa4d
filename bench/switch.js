'use strict';
// Switch: calls per second through Kamailio (the shipped switch/kamailio/kamailio.cfg) with one
// route-server lookup per call. The moderator runs as its own process with a real award and a
// trunk pointing at a SIPp answering machine; SIPp places calls at increasing rates (-r) and the
// figure is the highest rate SIPp sustained with no failed call. Needs kamailio and sipp
// (.ci/run installs them).
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startStack } = require('./lib/stack');
const { registerTs } = require('./lib/ts');
const { freePort } = require('../tools/lib/ferretdb');
const { gqlOk, token, round, SCALE } = require('./lib/util');
const { registerParties } = require('./lib/parties');

const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`;
const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`;
const CLOSE = `mutation($id: ID!) { closeBidding(requestId: $id) { selection { id } } }`;
const ADD_TRUNK = `mutation($input: AddCarrierTrunkInput!) { addCarrierTrunk(input: $input) { id } }`;
const CREATE_KEY = `mutation($input: CreateSwitchKeyInput!) { createSwitchKey(input: $input) { key } }`;

const GOAL_CPS = 200;
const HOLD_MS = 500;

async function run(ctx) {
  registerTs();
  const sip = require('../tests/support/sip.ts');
  const { until } = require('../tests/support/wait.ts');
  sip.requireSwitchSoftware();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-switch-'));
  const routePort = await freePort();
  const stack = await startStack({
    mongoUri: ctx.db.uri,
    gateway: false,
    moderatorEnv: { ROUTE_SERVER_PORT: String(routePort), SCHEDULER_ENABLED: 'false', OUTBOX_ENABLED: 'false' },
  });
  const routeServer = `http://127.0.0.1:${routePort}`;
  const procs = [];
  try {
    const url = stack.moderator.url;
    await registerParties(url, { buyers: ['bench-switch-buyer'], carriers: [{ id: 'bench-switch-carrier', coverage: ['44'] }] });
    const buyer = await token('BUYER', 'bench-switch-buyer');
    const carrier = await token('CARRIER', 'bench-switch-carrier');
    const start = Date.now() + 3000;
    const req = (await gqlOk(url, CREATE_REQUEST, {
      input: {
        routes: [{ origin: '1', destination: '4420' }], serviceType: 'VOICE', quantity: '100000', unit: 'MINUTE',
        interval: { start: new Date(start).toISOString(), end: new Date(start + 6 * 3600_000).toISOString() },
        biddingClosesAt: new Date(start - 1000).toISOString(),
      },
    }, buyer)).createServiceRequest;
    await gqlOk(url, SUBMIT_BID, { input: { requestId: req.id, incentive: { currency: 'GBP', ratePerUnit: '0.01' } } }, carrier);
    await gqlOk(url, CLOSE, { id: req.id }, buyer);

    const uasPort = await sip.freeUdpPort();
    const uas = await sip.startUas('bench-carrier', uasPort, dir);
    procs.push(uas);
    await gqlOk(url, ADD_TRUNK, { input: { name: 'bench-trunk', host: '127.0.0.1', port: uasPort } }, carrier);
    const key = (await gqlOk(url, CREATE_KEY, { input: { name: 'bench-kamailio' } }, buyer)).createSwitchKey.key;
    const proxyPort = await sip.freeUdpPort();
    const kamailio = await sip.startKamailio({ port: proxyPort, routeServer, switchKey: key, buyerId: 'bench-switch-buyer', dir, children: 8 });
    procs.push(kamailio);
    await until(async () => (await fetch(`${routeServer}/route/kamailio?number=442070000000`, { headers: { 'X-Api-Key': key } })).status === 200, { message: 'the award to be live', timeout: 15_000, interval: 100 });

    const numbers = Array.from({ length: 1000 }, (_, i) => `+44207${String(1000000 + i).slice(1)}`);
    const seconds = Math.max(5, Math.round(20 * SCALE));
    const rates = [50, 100, 200, 300, 400];
    const steps = [];
    for (const rate of rates) {
      const calls = rate * seconds;
      const r = await sip.runUac({ proxyPort, numbers, calls, rate, holdMs: HOLD_MS, dir, name: `uac-${rate}`, boundMs: seconds * 1000 + 60_000 });
      const step = { targetRate: rate, calls, outgoing: r.outgoing, successful: r.successful, failed: r.failed, achievedRate: round(r.callRate, 1), wallSeconds: round(r.elapsedMs / 1000, 1) };
      steps.push(step);
      ctx.log(`bench: switch ${rate} calls/s → ${step.achievedRate}/s, ${step.successful} ok, ${step.failed} failed`);
      if (r.failed > 0 || r.successful < calls) break;
    }
    const clean = steps.filter((s) => s.failed === 0 && s.successful === s.calls);
    const best = clean.reduce((m, s) => (s.targetRate > (m?.targetRate ?? 0) ? s : m), null);
    const received = uas.numbers().length;
    const placed = steps.reduce((n, s) => n + s.successful, 0);
    return {
      holdMs: HOLD_MS,
      secondsPerStep: seconds,
      kamailioChildren: 8,
      steps,
      bestCleanTarget: best?.targetRate ?? 0,
      bestCleanRate: best?.achievedRate ?? 0,
      failedCalls: steps.reduce((n, s) => n + s.failed, 0),
      carrierReceived: received,
      placed,
      goalCps: GOAL_CPS,
      // SIPp's CallRate(C) divides by the whole run, including its start and the last calls' hold,
      // so a sustained -r 200 reads a few percent below 200.
      met: (best?.targetRate ?? 0) >= GOAL_CPS && (best?.achievedRate ?? 0) >= best.targetRate * 0.95,
    };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };
