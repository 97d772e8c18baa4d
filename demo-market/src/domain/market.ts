// The demo market's decisions, without I/O: which request a buyer posts next, what a carrier bids,
// which calls a switch places and how they end, which usage records are reported and which demo bill
// periods are due. Every random choice comes from the Rng passed in, so a seeded run repeats.
import { chance, intBetween, pick, randomDigits, type Rng } from './rng';

/** The moderator's demo parties (moderator-subgraph/src/services/parties.ts DEMO_BUYERS, DEMO_CARRIERS). */
export const DEMO_BUYER_IDS = ['buyer-acme', 'buyer-globex', 'buyer-initech'] as const;
export const DEMO_CARRIER_IDS = ['carrier-atlas', 'carrier-borealis', 'carrier-cygnus', 'carrier-delta'] as const;

/** The demo parties as the simulator needs them (ids from the moderator's demo seed). */
export interface DemoBuyer {
  id: string;
  /** A reseller's end users; its requests name one of them. */
  endUserIds: readonly string[];
}

export interface DemoCarrier {
  id: string;
  coverage: readonly string[];
}

/**
 * Destination sets the demo buyers ask for: every set is served by at least one demo carrier
 * (DEMO_CARRIERS: 1 and 44; 33 and 4420; 33, 44 and 49; 4420 and 49), most by two or more, so boards
 * show competition; "1" has a single carrier that sometimes does not bid (a NO_AWARD to see).
 */
export const DESTINATION_SETS: readonly (readonly string[])[] = [['4420'], ['44'], ['33'], ['49'], ['1'], ['4420', '49'], ['33', '4420']];

/** Base rate per minute in ten-thousandths of a USD (0.0085 USD = 85) per destination prefix. */
const BASE_RATE: Record<string, number> = { '1': 40, '44': 120, '4420': 85, '33': 150, '49': 110 };
const DEFAULT_BASE_RATE = 100;

/** Every demo bid is in one currency: all bids on a request must share its first bid's currency. */
export const DEMO_CURRENCY = 'USD';

/** A prefix no demo carrier covers (Japan): calls to it find no route. */
export const UNROUTED_PREFIX = '81';

export interface MarketTiming {
  /** A new request is posted this often. */
  requestEveryMs: number;
  /** Bidding closes this long after the request is posted. */
  biddingWindowMs: number;
  /** Service starts this long after the request is posted (not before bidding closes). */
  leadMs: number;
  /** Service lasts between these two. */
  serviceMinMs: number;
  serviceMaxMs: number;
}

export const DEFAULT_TIMING: MarketTiming = {
  requestEveryMs: 10_000,
  biddingWindowMs: 12_000,
  leadMs: 20_000,
  serviceMinMs: 180_000,
  serviceMaxMs: 360_000,
};

export interface RequestPlan {
  buyerId: string;
  endUserId?: string;
  destinations: string[];
  /** Minutes. */
  quantity: string;
  start: Date;
  end: Date;
  biddingClosesAt: Date;
}

/** Whether the next request is due: the cap not reached and its time come. */
export function requestDue(posted: number, maxRequests: number, nextAt: number, now: number): boolean {
  return posted < maxRequests && now >= nextAt;
}

/** The n-th request (0-based): buyers take turns, destinations and lengths vary. */
export function planRequest(rng: Rng, n: number, now: Date, buyers: readonly DemoBuyer[], timing: MarketTiming): RequestPlan {
  if (buyers.length === 0) throw new Error('no demo buyers');
  const buyer = buyers[n % buyers.length];
  const t = now.getTime();
  const lead = Math.max(timing.leadMs, timing.biddingWindowMs);
  const start = t + lead;
  const length = intBetween(rng, Math.floor(timing.serviceMinMs / 1000), Math.floor(timing.serviceMaxMs / 1000)) * 1000;
  const plan: RequestPlan = {
    buyerId: buyer.id,
    destinations: [...pick(rng, DESTINATION_SETS)],
    quantity: String(intBetween(rng, 5, 50) * 100),
    start: new Date(start),
    end: new Date(start + length),
    biddingClosesAt: new Date(t + timing.biddingWindowMs),
  };
  if (buyer.endUserIds.length > 0) plan.endUserId = pick(rng, buyer.endUserIds);
  return plan;
}

/** Most carriers bid on what reaches them; now and then one stays out. */
export function willBid(rng: Rng): boolean {
  return chance(rng, 0.85);
}

/** A carrier's rate per minute: the destinations' base rate (the dearest) times 85-130 %, 4 decimals. */
export function bidRate(rng: Rng, destinations: readonly string[]): string {
  const base = Math.max(...destinations.map((d) => BASE_RATE[d] ?? DEFAULT_BASE_RATE));
  // Integer ten-thousandths throughout: money never passes through a float.
  return unitsToRate(Math.max(1, Math.round((base * intBetween(rng, 85, 130)) / 100)));
}

/** Decimal string with at most 4 decimals → ten-thousandths; null for anything else (another party's finer rate). */
export function rateUnits(rate: string): number | null {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(rate);
  return m ? Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0')) : null;
}

function unitsToRate(units: number): string {
  return `${Math.floor(units / 10_000)}.${String(units % 10_000).padStart(4, '0')}`;
}

/** A carrier's plan for one request: when it bids, at what rate, and when (if at all) it looks at the board again. */
export interface BidIntent {
  bidAt: number;
  rate: string;
  /** It checks the board here and undercuts the best rate if it was outbid. */
  reviewAt?: number;
}

/**
 * Whether and when a carrier that sees a request at `seenAt` bids: at a random moment in the first
 * half of the bidding time left, so boards fill up bid by bid; 40 % of them look again in the second
 * half and answer being outbid (undercutRate).
 */
export function planBid(rng: Rng, destinations: readonly string[], seenAt: number, closesAt: number): BidIntent | null {
  if (!willBid(rng)) return null;
  const span = Math.max(0, closesAt - seenAt);
  const intent: BidIntent = { bidAt: seenAt + Math.floor(rng() * span * 0.5), rate: bidRate(rng, destinations) };
  if (chance(rng, 0.4)) intent.reviewAt = seenAt + Math.floor(span * (0.5 + rng() * 0.4));
  return intent;
}

/**
 * An outbid carrier's new rate: 0.0001-0.0003 below the best, unless that goes under 75 % of its
 * first rate (then it lets the request go: null). Null too for a best rate it cannot read.
 */
export function undercutRate(rng: Rng, bestRate: string, ownRate: string): string | null {
  const best = rateUnits(bestRate);
  const own = rateUnits(ownRate);
  if (best === null || own === null) return null;
  const next = best - intBetween(rng, 1, 3);
  return next >= 1 && next * 4 >= own * 3 && next < own ? unitsToRate(next) : null;
}

/** How many calls one buyer's switch places in one tick: on average callsPerMinute per minute. */
export function callsThisTick(rng: Rng, callsPerMinute: number, tickMs: number): number {
  const expected = (callsPerMinute * tickMs) / 60_000;
  const whole = Math.floor(expected);
  return whole + (chance(rng, expected - whole) ? 1 : 0);
}

/** Total digits of a full number under a prefix (E.164 lengths of the demo countries). */
function numberLength(prefix: string): number {
  return prefix.startsWith('1') || prefix.startsWith('33') ? 11 : 12;
}

/**
 * The number a caller dials: most under one of the prefixes the buyer has routes for, some
 * (unroutedShare) to a destination nobody awarded, which the route server answers NO_ROUTE.
 */
export function dialledNumber(rng: Rng, prefixes: readonly string[], unroutedShare = 0.08): string {
  if (prefixes.length === 0 || chance(rng, unroutedShare)) return `+${UNROUTED_PREFIX}${randomDigits(rng, 9)}`;
  const prefix = pick(rng, prefixes);
  return `+${prefix}${randomDigits(rng, Math.max(4, numberLength(prefix) - prefix.length))}`;
}

export type CallOutcome = { answered: true; ringSeconds: number; seconds: number } | { answered: false; ringSeconds: number };

/** Whether a routed call is answered (answerRatio of them), after how long it rang, and for how long it lasts. */
export function callOutcome(rng: Rng, answerRatio = 0.65): CallOutcome {
  const ringSeconds = intBetween(rng, 2, 12);
  if (!chance(rng, answerRatio)) return { answered: false, ringSeconds };
  return { answered: true, ringSeconds, seconds: callSeconds(rng) };
}

/** Call length: 20 s plus an exponential tail (mean 60 s), at most 300 s. */
export function callSeconds(rng: Rng): number {
  const tail = -Math.log(1 - rng()) * 60;
  return Math.min(300, 20 + Math.round(tail));
}

/** One answered call as the simulated switch saw it. */
export interface AnsweredCall {
  /** Unique across runs (the simulator prefixes its run id). */
  callId: string;
  buyerId: string;
  carrierId: string;
  requestId: string;
  endUserId?: string;
  /** As dialled, '+' and digits. */
  number: string;
  answeredAt: Date;
  seconds: number;
}

/** A usage record as billing's ingestUsage takes it (UsageRecordInput). */
export interface UsageRecord {
  recordId: string;
  source: 'MEASURING_EQUIPMENT' | 'CARRIER';
  equipmentId?: string;
  buyerId: string;
  carrierId: string;
  requestId: string;
  endUserId?: string;
  intervalStart: string;
  intervalEnd: string;
  serviceType: 'VOICE';
  quantity: string;
  destination: string;
}

/** When a call's record may be reported: once the call is over. */
export function callEndsAt(call: AnsweredCall): number {
  return call.answeredAt.getTime() + call.seconds * 1000;
}

/** The measuring equipment's record of a call (the switch's own CDR). */
export function meterRecord(call: AnsweredCall, equipmentId: string): UsageRecord {
  const r: UsageRecord = {
    recordId: call.callId,
    source: 'MEASURING_EQUIPMENT',
    equipmentId,
    buyerId: call.buyerId,
    carrierId: call.carrierId,
    requestId: call.requestId,
    intervalStart: call.answeredAt.toISOString(),
    intervalEnd: new Date(callEndsAt(call)).toISOString(),
    serviceType: 'VOICE',
    quantity: String(call.seconds),
    destination: call.number,
  };
  if (call.endUserId) r.endUserId = call.endUserId;
  return r;
}

/**
 * The carrier's own record of a call, reported for carrierShare of the calls: its clock and
 * rounding differ a little (answer ±3 s, duration ±2 s, inside mediation's default tolerances of
 * 10 s and 5 s), so mediation matches it to the meter's record and reconciliation has two sources.
 */
export function carrierRecord(rng: Rng, call: AnsweredCall, carrierShare = 0.5): UsageRecord | null {
  if (!chance(rng, carrierShare)) return null;
  const answered = call.answeredAt.getTime() + intBetween(rng, -3, 3) * 1000;
  const seconds = Math.max(1, call.seconds + intBetween(rng, -2, 2));
  const r: UsageRecord = {
    recordId: `${call.callId}-carrier`,
    source: 'CARRIER',
    buyerId: call.buyerId,
    carrierId: call.carrierId,
    requestId: call.requestId,
    intervalStart: new Date(answered).toISOString(),
    intervalEnd: new Date(answered + seconds * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(seconds),
    destination: call.number,
  };
  if (call.endUserId) r.endUserId = call.endUserId;
  return r;
}

/** Start of the demo bill period holding instant t (periods are aligned to the epoch). */
export function billPeriodStart(t: number, periodMs: number): number {
  return Math.floor(t / periodMs) * periodMs;
}

/**
 * Bill periods to run now: those with reported usage whose end lies graceMs in the past, so the
 * records of calls answered in them (reported when the calls end) are in before the run.
 */
export function billPeriodsDue(periodsWithUsage: Iterable<number>, now: number, periodMs: number, graceMs: number): number[] {
  return [...periodsWithUsage].filter((start) => start + periodMs + graceMs <= now).sort((a, b) => a - b);
}

/** A request the simulator posted, as far as it knows. */
export interface TrackedRequest {
  id: string;
  buyerId: string;
  endUserId?: string;
  destinations: string[];
  start: Date;
  end: Date;
  biddingClosesAt: Date;
  status: 'OPEN' | 'AWARDED' | 'NO_AWARD' | 'CANCELLED';
  carrierId?: string;
  selectionId?: string;
}

/** OPEN requests whose bidding should be over: the buyer looks at them and closes them if still open. */
export function requestsToSettle(requests: Iterable<TrackedRequest>, now: number): TrackedRequest[] {
  return [...requests].filter((r) => r.status === 'OPEN' && r.biddingClosesAt.getTime() <= now);
}

/** Each buyer's destination prefixes with an award in service at `now`: where its switch sends calls. */
export function liveDestinations(requests: Iterable<TrackedRequest>, now: number): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const r of requests) {
    if (r.status !== 'AWARDED' || r.start.getTime() > now || r.end.getTime() <= now) continue;
    let s = out.get(r.buyerId);
    if (!s) out.set(r.buyerId, (s = new Set()));
    for (const d of r.destinations) s.add(d);
  }
  return new Map([...out].map(([b, s]) => [b, [...s].sort()]));
}

/** Whether a tracked request can be forgotten: settled and its service over. */
export function finished(r: TrackedRequest, now: number): boolean {
  return r.status !== 'OPEN' && r.end.getTime() <= now;
}
