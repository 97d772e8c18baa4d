// One real call path, end to end: auctions award two destinations; the carriers' trunks are SIPp
// answering machines; the buyer's switch is Kamailio running the shipped switch/kamailio/kamailio.cfg,
// asking the moderator's route server per call; SIPp places the calls. Kamailio's CDRs are imported
// with the built CLI and billed; the route server's attempts reach billing's reconciliation.
// Fails (never skips) when Kamailio or SIPp are missing: .ci/run installs them.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gqlOk, startStack, token } from '../../support/harness';
import {
  freeUdpPort,
  parseCdrLine,
  requireSwitchSoftware,
  ROOT,
  runUac,
  sipInvite,
  startKamailio,
  startUas,
  type Proc,
} from '../../support/sip';
import { until } from '../../support/wait';

const run = promisify(execFile);

const REGISTER_BUYER = `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id } }`;
const REGISTER_CARRIER = `mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) { id } }`;
const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id interval { start } } }`;
const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`;
const CLOSE = `mutation($id: ID!) { closeBidding(requestId: $id) { id selection { id carrier { id } } } }`;
const ADD_TRUNK = `mutation($input: AddCarrierTrunkInput!) { addCarrierTrunk(input: $input) { id } }`;
const CREATE_KEY = `mutation($input: CreateSwitchKeyInput!) { createSwitchKey(input: $input) { key switchKey { id } } }`;
const GENERATE = `mutation($p: IntervalInput!) { generateBills(period: $p) { bills { id kind recordCount request { id } carrier { id } lines { kind quantity unit } destinationSummary { calls minutes } } } }`;
const RECONCILIATION = `query($b: ID!, $c: ID!, $p: IntervalInput!) { reconciliation(buyerId: $b, carrierId: $c, period: $p) { calls attempts answered asr } }`;
const SELECTION_RECORD = `query($id: ID!) { selectionRecord(id: $id) { id } }`;

const BUYER = 'buyer-switch';
const CARRIER_A = 'carrier-a';
const CARRIER_B = 'carrier-b';
const HOLD_MS = 1000;
// Destination 1 (prefix 4420) and destination 2 (prefix 331): the numbers the buyer's switch dials.
const DEST1 = ['+442070000101', '+442070000102', '+442070000103', '+442070000104'];
const DEST2 = ['+33140000201', '+33140000202', '+33140000203'];
const digits = (n: string) => n.replace(/^\+/, '');

describe('switch: Kamailio with the shipped config routes SIPp calls by the auctions, and the CDRs bill', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let dir: string;
  const procs: Proc[] = [];
  let kamailio: Awaited<ReturnType<typeof startKamailio>>;
  let uasA: Awaited<ReturnType<typeof startUas>>;
  let uasB: Awaited<ReturnType<typeof startUas>>;
  let proxyPort: number;
  let switchKey: string;
  const t: Record<string, string> = {};
  const sel: Record<string, string> = {};
  const req: Record<string, string> = {};
  const testStart = Date.now();
  /** Route answers (200) this test asked for itself, per selection: they count as attempts too. */
  const probeHits: Record<string, number> = {};

  /** One route lookup as the switch makes it (counted by the route server like any other). */
  async function lookup(number: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${stack.moderator.routeServer.url}/route/kamailio?number=${encodeURIComponent(number)}&buyer=${BUYER}`, { headers: { 'X-Api-Key': switchKey } });
    const body = (await res.json()) as any;
    if (res.status === 200) probeHits[body.selection_id] = (probeHits[body.selection_id] ?? 0) + 1;
    return { status: res.status, body };
  }

  /** An auction for one destination whose service starts `startsInMs` from now; only `carrier` bids. */
  async function award(destination: string, carrier: string, startsInMs: number): Promise<{ selectionId: string; requestId: string; start: number }> {
    const now = Date.now();
    const start = now + startsInMs;
    const req = (
      await gqlOk(stack.moderator.url, CREATE_REQUEST, {
        input: {
          routes: [{ origin: '1', destination }],
          serviceType: 'VOICE',
          quantity: '1000',
          unit: 'MINUTE',
          interval: { start: new Date(start).toISOString(), end: new Date(now + 3600_000).toISOString() },
          biddingClosesAt: new Date(start - 500).toISOString(),
        },
      }, t[BUYER])
    ).createServiceRequest;
    await gqlOk(stack.moderator.url, SUBMIT_BID, {
      input: { requestId: req.id, incentive: { currency: 'GBP', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } },
    }, t[carrier]);
    const closed = (await gqlOk(stack.moderator.url, CLOSE, { id: req.id }, t[BUYER])).closeBidding;
    expect(closed.selection.carrier.id).toBe(carrier);
    return { selectionId: closed.selection.id, requestId: req.id, start };
  }

  beforeAll(async () => {
    requireSwitchSoftware();
    if (!existsSync(path.join(ROOT, 'billing-subgraph', 'dist', 'cli', 'ingest.js'))) {
      throw new Error('billing-subgraph/dist/cli/ingest.js is missing: run `npm run build` (npm test builds first)');
    }
    dir = mkdtempSync(path.join(tmpdir(), 'switch-e2e-'));
    stack = await startStack({ moderator: { ROUTE_SERVER_PORT: '0', ROUTE_ATTEMPTS_FLUSH_MS: '200', SCHEDULER_ENABLED: 'false', OUTBOX_INTERVAL_MS: '200' } });
    t.admin = await token('ADMIN', 'admin-switch');
    t.agent = await token('BILLING_AGENT', 'agent-switch');
    t[BUYER] = await token('BUYER', BUYER);
    t[CARRIER_A] = await token('CARRIER', CARRIER_A);
    t[CARRIER_B] = await token('CARRIER', CARRIER_B);
    await gqlOk(stack.moderator.url, REGISTER_BUYER, { input: { id: BUYER, name: 'Switch Buyer' } }, t.admin);
    for (const c of [CARRIER_A, CARRIER_B]) await gqlOk(stack.moderator.url, REGISTER_CARRIER, { input: { id: c, name: `Carrier ${c}`, coverage: ['44', '33'] } }, t.admin);

    // The carriers' trunks: a SIPp answering machine each, on free ports, registered by the carrier.
    const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
    uasA = await startUas('carrier-a', portA, dir);
    procs.push(uasA);
    uasB = await startUas('carrier-b', portB, dir);
    procs.push(uasB);
    await gqlOk(stack.moderator.url, ADD_TRUNK, { input: { name: 'a-main', host: '127.0.0.1', port: portA, transport: 'UDP' } }, t[CARRIER_A]);
    await gqlOk(stack.moderator.url, ADD_TRUNK, { input: { name: 'b-main', host: '127.0.0.1', port: portB, transport: 'UDP' } }, t[CARRIER_B]);

    switchKey = (await gqlOk(stack.moderator.url, CREATE_KEY, { input: { name: 'kamailio-test' } }, t[BUYER])).createSwitchKey.key;
    proxyPort = await freeUdpPort();
    kamailio = await startKamailio({ port: proxyPort, routeServer: stack.moderator.routeServer.url, switchKey, buyerId: BUYER, dir, children: 4 });
    procs.push(kamailio);
  }, 90_000);

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('every call reaches the carrier awarded its destination, and no other', async () => {
    const a1 = await award('4420', CARRIER_A, 6000);
    const a2 = await award('331', CARRIER_B, 6000);
    sel.dest1A = a1.selectionId;
    sel.dest2B = a2.selectionId;
    req.dest1A = a1.requestId;
    req.dest2B = a2.requestId;
    // Before the service starts the route server says so (410), and Kamailio answers 480.
    await until(async () => (await lookup(DEST1[0])).status === 410, { message: 'the awards in the routing index', timeout: 5000, interval: 20 });
    expect(await sipInvite(proxyPort, DEST1[0])).toMatch(/^SIP\/2\.0 480 /);
    await until(async () => (await lookup(DEST1[0])).status === 200 && (await lookup(DEST2[0])).status === 200, { message: 'both awards to be live at the route server', timeout: 10_000, interval: 50 });

    const numbers = [DEST1[0], DEST2[0], DEST1[1], DEST2[1], DEST1[2], DEST2[2]];
    const r = await runUac({ proxyPort, numbers, calls: numbers.length, rate: 5, holdMs: HOLD_MS, dir, name: 'uac-1' });
    expect({ outgoing: r.outgoing, successful: r.successful, failed: r.failed, exit: r.exitCode }).toEqual({ outgoing: 6, successful: 6, failed: 0, exit: 0 });
    expect(uasA.numbers().sort()).toEqual([DEST1[0], DEST1[1], DEST1[2]].map(digits).sort());
    expect(uasB.numbers().sort()).toEqual([DEST2[0], DEST2[1], DEST2[2]].map(digits).sort());

    // A number no one was awarded: the route server's 404 becomes Kamailio's 404; nothing reaches a carrier.
    expect(await sipInvite(proxyPort, '+4930123456')).toMatch(/^SIP\/2\.0 404 /);
    expect(uasA.numbers()).toHaveLength(3);
    expect(uasB.numbers()).toHaveLength(3);
  });

  it('a new award for destination 1 to carrier B takes the calls within 1 s of its start', async () => {
    const a3 = await award('4420', CARRIER_B, 2500);
    sel.dest1B = a3.selectionId;
    req.dest1B = a3.requestId;
    // The routing index prefers the later-starting award: from its start the route server names B.
    // Polled route answers, bounded by the award's start + 1 s (the condition, not a stopwatch);
    // polling starts shortly before the start, as every answered lookup counts as an attempt.
    await until(() => Date.now() >= a3.start - 200, { message: 'the new award’s start to be near', timeout: 10_000, interval: 10 });
    const switched = await until(async () => {
      const { status, body } = await lookup(DEST1[3]);
      return status === 200 && body.carrier_id === CARRIER_B ? { at: Date.now(), body } : null;
    }, { message: 'the route answer for destination 1 to name carrier B', timeout: a3.start + 1000 - Date.now(), interval: 20 });
    expect(switched.body.selection_id).toBe(a3.selectionId);
    expect(switched.at).toBeGreaterThanOrEqual(a3.start);

    const before = { a: uasA.numbers().length, b: uasB.numbers().length };
    const numbers = [DEST1[3], DEST1[0], DEST1[1], DEST1[2]];
    const r = await runUac({ proxyPort, numbers, calls: numbers.length, rate: 5, holdMs: HOLD_MS, dir, name: 'uac-2' });
    expect({ outgoing: r.outgoing, successful: r.successful, failed: r.failed, exit: r.exitCode }).toEqual({ outgoing: 4, successful: 4, failed: 0, exit: 0 });
    expect(uasA.numbers()).toHaveLength(before.a);
    expect(uasB.numbers().slice(before.b).sort()).toEqual(numbers.map(digits).sort());
  });

  it('Kamailio’s CDRs, imported with the CLI, bill exactly the calls and seconds SIPp placed; attempts and ASR reach reconciliation', async () => {
    // 10 answered calls: one CDR each when its BYE passed Kamailio.
    const cdrs = await until(() => (kamailio.cdrLines().length >= 10 ? kamailio.cdrLines() : null), { message: '10 CDR lines in Kamailio’s log', timeout: 15_000 });
    expect(cdrs).toHaveLength(10);
    const parsed = cdrs.map(parseCdrLine);
    const byCarrier = (c: string) => parsed.filter((p) => p.carrier_id === c);
    expect(byCarrier(CARRIER_A).map((p) => p.dst_user).sort()).toEqual([DEST1[0], DEST1[1], DEST1[2]].sort());
    expect(byCarrier(CARRIER_B)).toHaveLength(7);
    for (const p of parsed) {
      expect(p.buyer_id).toBe(BUYER);
      // Kamailio times the dialog from the ACK to the BYE it relayed; SIPp's hold runs between its own sends.
      expect(Number(p.duration)).toBeGreaterThan(HOLD_MS / 1000 - 0.05);
      expect(Number(p.duration)).toBeLessThan(HOLD_MS / 1000 + 1);
    }

    // The selection records reached billing (the moderator's outbox) before the usage is rated.
    for (const id of Object.values(sel)) {
      await until(async () => (await gqlOk(stack.billing.url, SELECTION_RECORD, { id }, t.agent)).selectionRecord, { message: `selection record ${id} at billing`, timeout: 15_000, interval: 100 });
    }

    const log = path.join(dir, 'kamailio.log');
    writeFileSync(log, kamailio.output());
    const cli = await run(process.execPath, [
      path.join(ROOT, 'billing-subgraph', 'dist', 'cli', 'ingest.js'), log, '--format', 'kamailio-acc',
      '--url', stack.billing.url, '--token', t.agent, '--no-progress', '--checkpoint', path.join(dir, 'ingest.checkpoint.json'),
    ], { cwd: ROOT, timeout: 60_000 }).catch((e) => {
      throw new Error(`ingest CLI failed (${e.code}): ${e.stdout}\n${e.stderr}`);
    });
    expect(cli.stdout).toMatch(/accepted 10\b/);

    // From the 5-minute attempt slot the test started in (attempts are counted per slot).
    const period = { start: new Date(Math.floor(testStart / 300_000) * 300_000).toISOString(), end: new Date(Date.now() + 60_000).toISOString() };
    const bills = (await gqlOk(stack.billing.url, GENERATE, { p: period }, t.agent)).generateBills.bills.filter((b: any) => b.recordCount > 0);
    const billOf = (selectionCarrier: string, n: number) => {
      const mine = bills.filter((b: any) => b.carrier.id === selectionCarrier);
      const calls = mine.reduce((s: number, b: any) => s + b.recordCount, 0);
      const seconds = mine.reduce((s: number, b: any) => s + b.destinationSummary.reduce((x: number, d: any) => x + Number(d.minutes) * 60, 0), 0);
      return { calls, secondsWithinIncrements: seconds >= n * (HOLD_MS / 1000) && seconds <= n * (HOLD_MS / 1000 + 1) };
    };
    expect(billOf(CARRIER_A, 3)).toEqual({ calls: 3, secondsWithinIncrements: true });
    expect(billOf(CARRIER_B, 7)).toEqual({ calls: 7, secondsWithinIncrements: true });
    // One bill per request: the calls after the switchover are billed on the new award.
    const callsOf = (requestId: string) => bills.filter((b: any) => b.request?.id === requestId).reduce((s: number, b: any) => s + b.recordCount, 0);
    expect({ dest1A: callsOf(req.dest1A), dest2B: callsOf(req.dest2B), dest1B: callsOf(req.dest1B) }).toEqual({ dest1A: 3, dest2B: 3, dest1B: 4 });

    // Attempts: every INVITE the route server answered with a route (SIPp's calls) plus this test's own lookups.
    // (The moderator's own counts go into the failure message.)
    const moderatorAttempts = await Promise.all(Object.values(sel).map(async (id) => [id, (await gqlOk(stack.moderator.url, `query($id: ID!) { routeAttempts(selectionId: $id) { slotStart attempts } }`, { id }, t.admin)).routeAttempts]));
    const expected: Record<string, { attempts: number; answered: number }> = {
      [CARRIER_A]: { attempts: 3 + (probeHits[sel.dest1A] ?? 0), answered: 3 },
      [CARRIER_B]: { attempts: 3 + (probeHits[sel.dest2B] ?? 0) + 4 + (probeHits[sel.dest1B] ?? 0), answered: 7 },
    };
    for (const c of [CARRIER_A, CARRIER_B]) {
      let last: unknown;
      const rec = await until(async () => {
        const r = (await gqlOk(stack.billing.url, RECONCILIATION, { b: BUYER, c, p: period }, t.agent)).reconciliation;
        last = r;
        return r.attempts >= expected[c].attempts ? r : null;
      }, { message: `reconciliation of ${c} to show the pushed attempts (expected ${JSON.stringify(expected[c])})`, timeout: 15_000, interval: 100 }).catch((e) => {
        throw new Error(`${e.message}; last answer ${JSON.stringify(last)}; moderator ${JSON.stringify(moderatorAttempts)}; probes ${JSON.stringify(probeHits)}`);
      });
      expect({ attempts: rec.attempts, answered: rec.answered }).toEqual(expected[c]);
      expect(rec.asr).toBe((expected[c].answered / expected[c].attempts).toFixed(4));
    }
  });
});
