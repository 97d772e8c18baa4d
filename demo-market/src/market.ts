// The demo market's I/O: one step posts due requests, lets the demo carriers bid on them, settles
// requests whose bidding is over, places the simulated switch's calls through the route server,
// reports the CDRs of calls that ended and bills finished demo periods. Decisions come from
// domain/market.ts; this file only talks to the gateway (as the demo parties, with their tokens).
import type { Logger } from '@exchange/platform';
import { GraphQLCallError, type GatewayClient, type Party } from './client';
import {
  billPeriodsDue,
  billPeriodStart,
  callEndsAt,
  callOutcome,
  callsThisTick,
  carrierRecord,
  DEFAULT_TIMING,
  DEMO_BUYER_IDS,
  DEMO_CARRIER_IDS,
  DEMO_CURRENCY,
  dialledNumber,
  finished,
  liveDestinations,
  meterRecord,
  planBid,
  planRequest,
  requestDue,
  requestsToSettle,
  undercutRate,
  type AnsweredCall,
  type BidIntent,
  type DemoBuyer,
  type DemoCarrier,
  type MarketTiming,
  type TrackedRequest,
  type UsageRecord,
} from './domain/market';
import type { Rng } from './domain/rng';

/** Names the simulator gives what it creates, so a restart finds (and replaces) its own. */
export const DEMO_TRUNK_NAME = 'demo-trunk';
export const DEMO_SWITCH_KEY_NAME = 'demo-switch';
export const DEMO_METER_ID = 'meter-demo';
const ADMIN: Party = { role: 'ADMIN', sub: 'demo-market' };
const AGENT: Party = { role: 'BILLING_AGENT', sub: 'demo-market' };
const METER: Party = { role: 'METER', sub: DEMO_METER_ID };
const buyer = (id: string): Party => ({ role: 'BUYER', sub: id });
const carrier = (id: string): Party => ({ role: 'CARRIER', sub: id });

/** Longest a reported call can take from its route lookup to its end (ring 12 s + 300 s). */
const LONGEST_CALL_MS = 312_000;

const PARTIES = `{ buyers { id endUsers { id } } carriers { id coverage } }`;
const TRUNKS = `query($c: ID) { carrierTrunks(carrierId: $c) { id name } }`;
const ADD_TRUNK = `mutation($input: AddCarrierTrunkInput!) { addCarrierTrunk(input: $input) { id } }`;
const KEYS = `{ switchKeys { id name revokedAt } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeSwitchKey(id: $id) { id } }`;
const CREATE_KEY = `mutation($input: CreateSwitchKeyInput!) { createSwitchKey(input: $input) { key switchKey { id } } }`;
const REGISTER_METER = `mutation($input: UsageReporterInput!) { registerUsageReporter(input: $input) { id } }`;
const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id status } }`;
const OPEN_REQUESTS = `{ openRequests { id } }`;
const BOARD = `query($id: ID!) { bidBoard(requestId: $id) { viewerRank bestRate } }`;
const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`;
const REQUEST_STATE = `query($id: ID!) { serviceRequest(id: $id) { id status selection { id carrier { id } } } }`;
const CLOSE = `mutation($id: ID!) { closeBidding(requestId: $id) { id status selection { id carrier { id } } } }`;
const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index reason } parked { index reason } } }`;
const GENERATE = `mutation($period: IntervalInput!) { generateBills(period: $period) { issued } }`;

export interface DemoMarketOptions {
  client: GatewayClient;
  logger: Logger;
  rng: Rng;
  /** Distinguishes this run's call ids from earlier runs' (record ids are idempotency keys). */
  runId: string;
  /** The simulator's clock; tests run it ahead of the wall clock to compress minutes into steps. */
  clock?: () => Date;
  timing?: Partial<MarketTiming>;
  /** Time between steps: sets how many calls a step places. */
  tickMs: number;
  maxRequests: number;
  callsPerMinute: number;
  billPeriodMs: number;
  /** After bidding closes, the buyer waits this long for the moderator's scheduler before it closes the request itself. */
  settleDelayMs?: number;
}

export interface DemoMarketCounts {
  requests: number;
  bids: number;
  /** Bids replaced by a lower one after the carrier saw it was outbid. */
  rebids: number;
  awarded: number;
  noAward: number;
  calls: number;
  routed: number;
  /** Lookups that found no route, by the route server's result code. */
  failed: Record<string, number>;
  answered: number;
  meterRecords: number;
  carrierRecords: number;
  /** Records billing refused or parked (should stay 0). */
  notBilled: number;
  billRuns: number;
  bills: number;
  errors: number;
}

/** The demo parties are missing (the database was not empty when the moderator started). */
export class DemoPartiesMissing extends Error {}

export class DemoMarket {
  readonly counts: DemoMarketCounts = { requests: 0, bids: 0, rebids: 0, awarded: 0, noAward: 0, calls: 0, routed: 0, failed: {}, answered: 0, meterRecords: 0, carrierRecords: 0, notBilled: 0, billRuns: 0, bills: 0, errors: 0 };
  private readonly clock: () => Date;
  private readonly timing: MarketTiming;
  private buyers: DemoBuyer[] = [];
  private carriers: DemoCarrier[] = [];
  private readonly keys = new Map<string, string>();
  private readonly requests = new Map<string, TrackedRequest>();
  /** Per request and carrier: what it means to bid and how far it got. */
  private readonly bidPlans = new Map<string, { requestId: string; carrierId: string; intent: BidIntent | null; placed: boolean; reviewed: boolean }>();
  private pending: AnsweredCall[] = [];
  private readonly usagePeriods = new Set<number>();
  private nextRequestAt = 0;
  private callSeq = 0;
  private capLogged = false;

  constructor(private readonly o: DemoMarketOptions) {
    this.clock = o.clock ?? (() => new Date());
    this.timing = { ...DEFAULT_TIMING, ...o.timing };
  }

  /** Finds the demo parties and prepares trunks, switch keys and the meter (each idempotent). */
  async setup(): Promise<void> {
    const parties = await this.o.client.gql<{ buyers: { id: string; endUsers: { id: string }[] }[]; carriers: DemoCarrier[] }>(ADMIN, PARTIES);
    this.buyers = parties.buyers.filter((b) => (DEMO_BUYER_IDS as readonly string[]).includes(b.id)).map((b) => ({ id: b.id, endUserIds: b.endUsers.map((e) => e.id) }));
    this.carriers = parties.carriers.filter((c) => (DEMO_CARRIER_IDS as readonly string[]).includes(c.id));
    if (this.buyers.length === 0 || this.carriers.length === 0) {
      throw new DemoPartiesMissing('the demo buyers and carriers are not registered (SEED_DEMO_DATA seeds them into an empty database only)');
    }
    await this.o.client.gql(ADMIN, REGISTER_METER, { input: { id: DEMO_METER_ID, kind: 'METER', buyerIds: this.buyers.map((b) => b.id) } });
    await this.prepareSwitch();
  }

  private async prepareSwitch(): Promise<void> {
    for (const [i, c] of this.carriers.entries()) {
      const { carrierTrunks } = await this.o.client.gql<{ carrierTrunks: { name: string }[] }>(carrier(c.id), TRUNKS, {});
      if (carrierTrunks.some((t) => t.name === DEMO_TRUNK_NAME)) continue;
      // Documentation addresses (TEST-NET-3): a demo trunk never reaches a real network.
      await this.o.client.gql(carrier(c.id), ADD_TRUNK, { input: { name: DEMO_TRUNK_NAME, host: `203.0.113.${10 + i}`, port: 5060, transport: 'UDP' } });
    }
    for (const b of this.buyers) {
      // A key is shown only when created: a restart revokes its earlier demo key and takes a new one.
      const { switchKeys } = await this.o.client.gql<{ switchKeys: { id: string; name: string; revokedAt: string | null }[] }>(buyer(b.id), KEYS);
      for (const k of switchKeys) if (k.name === DEMO_SWITCH_KEY_NAME && !k.revokedAt) await this.o.client.gql(buyer(b.id), REVOKE_KEY, { id: k.id });
      const created = await this.o.client.gql<{ createSwitchKey: { key: string } }>(buyer(b.id), CREATE_KEY, { input: { name: DEMO_SWITCH_KEY_NAME } });
      this.keys.set(b.id, created.createSwitchKey.key);
    }
  }

  /** One round of the market at the simulator's clock. A failing part is counted and logged; the others still run. */
  async step(): Promise<void> {
    const now = this.clock();
    for (const part of [() => this.postRequests(now), () => this.bid(now), () => this.settle(now), () => this.placeCalls(now), () => this.report(now), () => this.runBills(now)]) {
      try {
        await part();
      } catch (err) {
        this.counts.errors++;
        this.o.logger.warn({ err: (err as Error).message }, 'demo market step failed');
      }
    }
    for (const [id, r] of this.requests) {
      if (!finished(r, now.getTime())) continue;
      this.requests.delete(id);
      for (const c of this.carriers) this.bidPlans.delete(`${id}|${c.id}`);
    }
  }

  private async postRequests(now: Date): Promise<void> {
    const t = now.getTime();
    if (!requestDue(this.counts.requests, this.o.maxRequests, this.nextRequestAt, t)) {
      if (this.counts.requests >= this.o.maxRequests && !this.capLogged) {
        this.capLogged = true;
        this.o.logger.info(`demo market: ${this.o.maxRequests} requests posted (DEMO_MARKET_MAX_REQUESTS); no more requests, running ones finish`);
      }
      return;
    }
    // Regular steps; after a pause (a slow step, a suspended laptop) a full period from now, not a burst.
    const every = this.timing.requestEveryMs;
    this.nextRequestAt = this.nextRequestAt + every >= t ? this.nextRequestAt + every : t + every;
    const plan = planRequest(this.o.rng, this.counts.requests, now, this.buyers, this.timing);
    const input: Record<string, unknown> = {
      routes: plan.destinations.map((destination) => ({ origin: '1', destination })),
      serviceType: 'VOICE',
      quantity: plan.quantity,
      unit: 'MINUTE',
      interval: { start: plan.start.toISOString(), end: plan.end.toISOString() },
      biddingClosesAt: plan.biddingClosesAt.toISOString(),
    };
    if (plan.endUserId) input.endUserId = plan.endUserId;
    const { createServiceRequest: r } = await this.o.client.gql<{ createServiceRequest: { id: string } }>(buyer(plan.buyerId), CREATE_REQUEST, { input });
    this.counts.requests++;
    this.requests.set(r.id, { id: r.id, buyerId: plan.buyerId, endUserId: plan.endUserId, destinations: plan.destinations, start: plan.start, end: plan.end, biddingClosesAt: plan.biddingClosesAt, status: 'OPEN' });
  }

  /**
   * Each demo carrier looks at its open requests, plans a bid on those the simulator posted (never
   * on real users' requests), places it when its moment comes and, if it planned to, looks at the
   * board again and undercuts the best rate when it was outbid.
   */
  private async bid(now: Date): Promise<void> {
    const t = now.getTime();
    for (const c of this.carriers) {
      const { openRequests } = await this.o.client.gql<{ openRequests: { id: string }[] }>(carrier(c.id), OPEN_REQUESTS);
      for (const { id } of openRequests) {
        const r = this.requests.get(id);
        const key = `${id}|${c.id}`;
        if (!r || r.status !== 'OPEN' || this.bidPlans.has(key)) continue;
        this.bidPlans.set(key, { requestId: id, carrierId: c.id, intent: planBid(this.o.rng, r.destinations, t, r.biddingClosesAt.getTime()), placed: false, reviewed: false });
      }
    }
    for (const p of this.bidPlans.values()) {
      const r = this.requests.get(p.requestId);
      if (!r || r.status !== 'OPEN' || !p.intent) continue;
      if (!p.placed && t >= p.intent.bidAt) {
        p.placed = true;
        if (await this.submitBid(p.carrierId, p.requestId, p.intent.rate)) this.counts.bids++;
      } else if (p.placed && !p.reviewed && p.intent.reviewAt !== undefined && t >= p.intent.reviewAt && t < r.biddingClosesAt.getTime()) {
        p.reviewed = true;
        const { bidBoard } = await this.o.client.gql<{ bidBoard: { viewerRank: number | null; bestRate: string | null } }>(carrier(p.carrierId), BOARD, { id: p.requestId });
        if (!bidBoard.viewerRank || bidBoard.viewerRank === 1 || !bidBoard.bestRate) continue;
        const rate = undercutRate(this.o.rng, bidBoard.bestRate, p.intent.rate);
        if (rate && (await this.submitBid(p.carrierId, p.requestId, rate))) this.counts.rebids++;
      }
    }
  }

  /** False when the moderator refused it (bidding closed in between, as for a real late bid). */
  private async submitBid(carrierId: string, requestId: string, ratePerUnit: string): Promise<boolean> {
    try {
      await this.o.client.gql(carrier(carrierId), SUBMIT_BID, { input: { requestId, incentive: { currency: DEMO_CURRENCY, ratePerUnit } } });
      return true;
    } catch (err) {
      if (!(err instanceof GraphQLCallError)) throw err;
      return false;
    }
  }

  /** Requests whose bidding is over: the moderator's scheduler closed them, or the buyer closes them now. */
  private async settle(now: Date): Promise<void> {
    for (const r of requestsToSettle(this.requests.values(), now.getTime() - (this.o.settleDelayMs ?? 0))) {
      type State = { id: string; status: TrackedRequest['status']; selection: { id: string; carrier: { id: string } | null } | null };
      let { serviceRequest: s } = await this.o.client.gql<{ serviceRequest: State | null }>(buyer(r.buyerId), REQUEST_STATE, { id: r.id });
      if (s?.status === 'OPEN') {
        try {
          ({ closeBidding: s } = await this.o.client.gql<{ closeBidding: State }>(buyer(r.buyerId), CLOSE, { id: r.id }));
        } catch (err) {
          // The scheduler closed it in between: its outcome is read on the next step.
          if (!(err instanceof GraphQLCallError)) throw err;
          continue;
        }
      }
      if (!s || s.status === 'OPEN') continue;
      r.status = s.status;
      if (s.status === 'AWARDED' && s.selection) {
        r.selectionId = s.selection.id;
        r.carrierId = s.selection.carrier?.id;
        this.counts.awarded++;
      } else if (s.status === 'NO_AWARD') this.counts.noAward++;
    }
  }

  /** Each buyer's switch dials numbers under its live awards (and a few nobody awarded), looking each call up. */
  private async placeCalls(now: Date): Promise<void> {
    const live = liveDestinations(this.requests.values(), now.getTime());
    for (const [buyerId, prefixes] of live) {
      const key = this.keys.get(buyerId);
      if (!key) continue;
      const n = callsThisTick(this.o.rng, this.o.callsPerMinute, this.o.tickMs);
      for (let i = 0; i < n; i++) {
        const number = dialledNumber(this.o.rng, prefixes);
        const answer = await this.o.client.route(key, buyerId, number, now);
        this.counts.calls++;
        if (answer.status !== 200 || !answer.body.carrierId || !answer.body.requestId) {
          const code = answer.body.result ?? `HTTP_${answer.status}`;
          this.counts.failed[code] = (this.counts.failed[code] ?? 0) + 1;
          continue;
        }
        this.counts.routed++;
        const outcome = callOutcome(this.o.rng);
        if (!outcome.answered) continue;
        this.counts.answered++;
        const call: AnsweredCall = {
          callId: `demo-${this.o.runId}-${++this.callSeq}`,
          buyerId,
          carrierId: answer.body.carrierId,
          requestId: answer.body.requestId,
          number,
          answeredAt: new Date(now.getTime() + outcome.ringSeconds * 1000),
          seconds: outcome.seconds,
        };
        const endUserId = this.requests.get(call.requestId)?.endUserId;
        if (endUserId) call.endUserId = endUserId;
        this.pending.push(call);
      }
    }
  }

  /** CDRs of calls that have ended: the switch's meter reports all, the carrier about half (mediation matches them). */
  private async report(now: Date): Promise<void> {
    const due = this.pending.filter((c) => callEndsAt(c) <= now.getTime());
    if (due.length === 0) return;
    const meter = due.map((c) => meterRecord(c, 'demo-switch'));
    const byCarrier = new Map<string, UsageRecord[]>();
    for (const c of due) {
      const r = carrierRecord(this.o.rng, c);
      if (!r) continue;
      if (!byCarrier.has(r.carrierId)) byCarrier.set(r.carrierId, []);
      byCarrier.get(r.carrierId)!.push(r);
    }
    await this.ingest(METER, meter);
    this.counts.meterRecords += meter.length;
    const reported = new Set(due);
    this.pending = this.pending.filter((c) => !reported.has(c));
    for (const c of due) this.usagePeriods.add(billPeriodStart(c.answeredAt.getTime(), this.o.billPeriodMs));
    // The carriers' copies are evidence for reconciliation; one failing does not hold back the meter's.
    for (const [carrierId, records] of byCarrier) {
      await this.ingest(carrier(carrierId), records);
      this.counts.carrierRecords += records.length;
    }
  }

  private async ingest(as: Party, records: UsageRecord[]): Promise<void> {
    type Result = { accepted: number; duplicates: number; rejected: { index: number; reason: string }[]; parked: { index: number; reason: string }[] };
    const { ingestUsage: r } = await this.o.client.gql<{ ingestUsage: Result }>(as, INGEST, { records });
    const missed = r.rejected.length + r.parked.length;
    if (missed > 0) {
      this.counts.notBilled += missed;
      this.o.logger.warn({ as: as.sub, rejected: r.rejected.slice(0, 3), parked: r.parked.slice(0, 3) }, 'demo market: billing did not bill some demo records');
    }
  }

  /** Bills each finished demo period once its calls are all reported (generateBills; the billing cycle itself is monthly). */
  private async runBills(now: Date): Promise<void> {
    const grace = LONGEST_CALL_MS + 2 * this.o.tickMs;
    for (const start of billPeriodsDue(this.usagePeriods, now.getTime(), this.o.billPeriodMs, grace)) {
      const period = { start: new Date(start).toISOString(), end: new Date(start + this.o.billPeriodMs).toISOString() };
      const { generateBills } = await this.o.client.gql<{ generateBills: { issued: number } }>(AGENT, GENERATE, { period });
      this.usagePeriods.delete(start);
      this.counts.billRuns++;
      this.counts.bills += generateBills.issued;
    }
  }

  /** Calls waiting to end before their CDRs are reported. */
  get pendingCalls(): number {
    return this.pending.length;
  }

  /** Demo bill periods with usage not yet billed. */
  get unbilledPeriods(): number {
    return this.usagePeriods.size;
  }
}

/** The one-line summary logged every minute. */
export function summary(c: DemoMarketCounts): string {
  const failed = Object.entries(c.failed)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `demo market: ${c.requests} requests (${c.awarded} awarded, ${c.noAward} no award), ${c.bids} bids (${c.rebids} undercut); ` +
    `${c.calls} calls (${c.routed} routed${failed ? `, ${failed}` : ''}), ${c.answered} answered; ` +
    `CDRs ${c.meterRecords} meter + ${c.carrierRecords} carrier${c.notBilled ? ` (${c.notBilled} not billed)` : ''}; ` +
    `${c.billRuns} bill runs, ${c.bills} bills${c.errors ? `; ${c.errors} errors` : ''}`
  );
}
