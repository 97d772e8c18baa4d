// The demo market's decisions (demo-market/src/domain): what buyers post, what carriers bid, the
// switch's call mix and the records it reports, and when demo periods are billed.
import { carrierServesRequest } from '../../../moderator-subgraph/src/domain/distribution';
import { DEMO_BUYERS, DEMO_CARRIERS } from '../../../moderator-subgraph/src/services/parties';
import {
  bidRate,
  billPeriodsDue,
  billPeriodStart,
  callOutcome,
  callSeconds,
  callsThisTick,
  carrierRecord,
  DEFAULT_TIMING,
  DEMO_BUYER_IDS,
  DEMO_CARRIER_IDS,
  DESTINATION_SETS,
  dialledNumber,
  finished,
  liveDestinations,
  meterRecord,
  planBid,
  planRequest,
  rateUnits,
  requestDue,
  requestsToSettle,
  undercutRate,
  UNROUTED_PREFIX,
  type AnsweredCall,
  type TrackedRequest,
} from '../../../demo-market/src/domain/market';
import { seededRng } from '../../../demo-market/src/domain/rng';
import { demoMarketDecision } from '../../../demo-market/src/config';

const NOW = new Date('2026-12-07T10:00:00Z');
const buyers = [
  { id: 'buyer-acme', endUserIds: [] },
  { id: 'buyer-globex', endUserIds: ['enduser-globex-hotel', 'enduser-globex-clinic'] },
  { id: 'buyer-initech', endUserIds: [] },
];

describe('demo parties and destinations', () => {
  it('the simulator acts as exactly the moderator\'s demo parties', () => {
    expect([...DEMO_BUYER_IDS]).toEqual(DEMO_BUYERS.map((b) => b._id));
    expect([...DEMO_CARRIER_IDS]).toEqual(DEMO_CARRIERS.map((c) => c._id));
  });

  it('every destination set a buyer asks for reaches at least one demo carrier, and the unrouted prefix none', () => {
    for (const set of DESTINATION_SETS) {
      const serving = DEMO_CARRIERS.filter((c) => carrierServesRequest(c.coverage, set.map((destination) => ({ destination }))));
      expect({ set, serving: serving.length > 0 }).toEqual({ set, serving: true });
    }
    expect(DEMO_CARRIERS.some((c) => c.coverage.some((p) => UNROUTED_PREFIX.startsWith(p)))).toBe(false);
  });
});

describe('requests', () => {
  it('buyers take turns; bidding closes before service starts, which is in the future and lasts the configured time', () => {
    const rng = seededRng(1);
    const plans = Array.from({ length: 6 }, (_, n) => planRequest(rng, n, NOW, buyers, DEFAULT_TIMING));
    expect(plans.map((p) => p.buyerId)).toEqual(['buyer-acme', 'buyer-globex', 'buyer-initech', 'buyer-acme', 'buyer-globex', 'buyer-initech']);
    for (const p of plans) {
      expect(p.biddingClosesAt.getTime()).toBe(NOW.getTime() + DEFAULT_TIMING.biddingWindowMs);
      expect(p.start.getTime()).toBe(NOW.getTime() + DEFAULT_TIMING.leadMs);
      const length = p.end.getTime() - p.start.getTime();
      expect(length).toBeGreaterThanOrEqual(DEFAULT_TIMING.serviceMinMs);
      expect(length).toBeLessThanOrEqual(DEFAULT_TIMING.serviceMaxMs);
      expect(DESTINATION_SETS.map((s) => s.join())).toContain(p.destinations.join());
      expect(Number(p.quantity)).toBeGreaterThanOrEqual(500);
    }
    // The reseller names one of its end users; the others none.
    expect(plans.filter((p) => p.endUserId).map((p) => p.buyerId)).toEqual(['buyer-globex', 'buyer-globex']);
    expect(['enduser-globex-hotel', 'enduser-globex-clinic']).toContain(plans[1].endUserId);
  });

  it('a lead shorter than the bidding window still starts service after bidding closes', () => {
    const p = planRequest(seededRng(2), 0, NOW, buyers, { ...DEFAULT_TIMING, leadMs: 1_000, biddingWindowMs: 5_000 });
    expect(p.start.getTime()).toBeGreaterThanOrEqual(p.biddingClosesAt.getTime());
  });

  it('the same seed plans the same market', () => {
    const a = Array.from({ length: 20 }, (_, n) => planRequest(seededRng(7), n, NOW, buyers, DEFAULT_TIMING));
    const b = Array.from({ length: 20 }, (_, n) => planRequest(seededRng(7), n, NOW, buyers, DEFAULT_TIMING));
    expect(a).toEqual(b);
  });

  it('posting stops at the cap and waits for its time', () => {
    expect(requestDue(0, 200, 0, NOW.getTime())).toBe(true);
    expect(requestDue(5, 200, NOW.getTime() + 1, NOW.getTime())).toBe(false);
    expect(requestDue(200, 200, 0, NOW.getTime())).toBe(false);
    expect(requestDue(0, 0, 0, NOW.getTime())).toBe(false);
  });
});

describe('bids', () => {
  it('rates vary around the destination\'s base (85-130 %) with exactly 4 decimals; a two-destination request is priced at the dearer one', () => {
    const rng = seededRng(3);
    const london = Array.from({ length: 500 }, () => bidRate(rng, ['4420']));
    for (const r of london) expect(r).toMatch(/^0\.\d{4}$/);
    const units = london.map((r) => Math.round(Number(r) * 10_000));
    expect(Math.min(...units)).toBeGreaterThanOrEqual(72); // 85 % of 0.0085
    expect(Math.max(...units)).toBeLessThanOrEqual(111); // 130 % of 0.0085
    expect(new Set(london).size).toBeGreaterThan(20);
    const pair = Array.from({ length: 200 }, () => Math.round(Number(bidRate(rng, ['4420', '33'])) * 10_000));
    expect(Math.min(...pair)).toBeGreaterThanOrEqual(127); // 85 % of 0.0150
  });
});

describe('bidding over time', () => {
  const seen = NOW.getTime();
  const closes = seen + 12_000;

  it('carriers bid at different moments in the first half of the window; some look again in the second half', () => {
    const rng = seededRng(11);
    const plans = Array.from({ length: 400 }, () => planBid(rng, ['4420'], seen, closes));
    const bidding = plans.filter((p) => p !== null);
    expect(bidding.length / plans.length).toBeGreaterThan(0.78);
    expect(bidding.length / plans.length).toBeLessThan(0.92);
    for (const p of bidding) {
      expect(p.bidAt).toBeGreaterThanOrEqual(seen);
      expect(p.bidAt).toBeLessThanOrEqual(seen + 6_000);
      if (p.reviewAt !== undefined) {
        expect(p.reviewAt).toBeGreaterThanOrEqual(seen + 6_000);
        expect(p.reviewAt).toBeLessThan(closes);
      }
    }
    expect(new Set(bidding.map((p) => p.bidAt)).size).toBeGreaterThan(100);
    const reviewing = bidding.filter((p) => p.reviewAt !== undefined).length / bidding.length;
    expect(reviewing).toBeGreaterThan(0.3);
    expect(reviewing).toBeLessThan(0.5);
  });

  it('an outbid carrier undercuts the best rate by 0.0001-0.0003, but never below 75 % of its first rate', () => {
    const rng = seededRng(12);
    for (let i = 0; i < 100; i++) {
      const r = undercutRate(rng, '0.0090', '0.0100')!;
      expect(['0.0089', '0.0088', '0.0087']).toContain(r);
    }
    expect(undercutRate(rng, '0.007', '0.0100')).toBeNull(); // 0.0069 or less: under 75 %
    expect(undercutRate(rng, '0.01', '0.0120')).toMatch(/^0\.00(99|98|97)$/);
    expect(undercutRate(rng, '0.00005', '0.0100')).toBeNull(); // a rate finer than the simulator's
    expect(undercutRate(rng, '0.0001', '0.0001')).toBeNull();
  });

  it('reads rates of up to 4 decimals exactly', () => {
    expect(rateUnits('0.0085')).toBe(85);
    expect(rateUnits('0.01')).toBe(100);
    expect(rateUnits('2')).toBe(20_000);
    expect(rateUnits('1.23456')).toBeNull();
    expect(rateUnits('-1')).toBeNull();
  });
});

describe('the switch\'s calls', () => {
  it('places callsPerMinute calls a minute on average', () => {
    const rng = seededRng(4);
    let total = 0;
    for (let i = 0; i < 3000; i++) total += callsThisTick(rng, 20, 2_000);
    // 3000 ticks of 2 s = 100 minutes at 20 a minute
    expect(total).toBeGreaterThan(1900);
    expect(total).toBeLessThan(2100);
    expect(callsThisTick(rng, 0, 2_000)).toBe(0);
  });

  it('dials full numbers under the live prefixes, and about 8 % to a destination nobody awarded', () => {
    const rng = seededRng(5);
    const numbers = Array.from({ length: 2000 }, () => dialledNumber(rng, ['4420', '33']));
    const unrouted = numbers.filter((n) => n.startsWith(`+${UNROUTED_PREFIX}`));
    expect(unrouted.length / numbers.length).toBeGreaterThan(0.05);
    expect(unrouted.length / numbers.length).toBeLessThan(0.11);
    for (const n of numbers.filter((x) => !unrouted.includes(x))) {
      expect(n).toMatch(/^\+(4420\d{8}|33\d{9})$/);
    }
    expect(dialledNumber(rng, [])).toMatch(new RegExp(`^\\+${UNROUTED_PREFIX}\\d{9}$`));
  });

  it('answers about 65 % of routed calls; durations are 20-300 s with a long tail', () => {
    const rng = seededRng(6);
    const outcomes = Array.from({ length: 4000 }, () => callOutcome(rng));
    const answered = outcomes.filter((o) => o.answered);
    expect(answered.length / outcomes.length).toBeGreaterThan(0.6);
    expect(answered.length / outcomes.length).toBeLessThan(0.7);
    for (const o of outcomes) expect(o.ringSeconds).toBeGreaterThanOrEqual(2);
    const seconds = Array.from({ length: 4000 }, () => callSeconds(rng));
    expect(Math.min(...seconds)).toBe(20);
    expect(Math.max(...seconds)).toBe(300);
    const mean = seconds.reduce((a, b) => a + b, 0) / seconds.length;
    expect(mean).toBeGreaterThan(70);
    expect(mean).toBeLessThan(90);
    // Most calls are short: the median is well below the mean's tail.
    expect([...seconds].sort((a, b) => a - b)[2000]).toBeLessThan(mean);
  });
});

describe('CDRs', () => {
  const call: AnsweredCall = {
    callId: 'demo-run1-7',
    buyerId: 'buyer-globex',
    carrierId: 'carrier-atlas',
    requestId: 'req-1',
    endUserId: 'enduser-globex-hotel',
    number: '+442079460123',
    answeredAt: new Date('2026-12-07T10:01:00Z'),
    seconds: 95,
  };

  it('the meter reports the call as the switch saw it', () => {
    expect(meterRecord(call, 'demo-switch')).toEqual({
      recordId: 'demo-run1-7',
      source: 'MEASURING_EQUIPMENT',
      equipmentId: 'demo-switch',
      buyerId: 'buyer-globex',
      carrierId: 'carrier-atlas',
      requestId: 'req-1',
      endUserId: 'enduser-globex-hotel',
      intervalStart: '2026-12-07T10:01:00.000Z',
      intervalEnd: '2026-12-07T10:02:35.000Z',
      serviceType: 'VOICE',
      quantity: '95',
      destination: '+442079460123',
    });
  });

  it('the carrier reports about half the calls, within mediation\'s default tolerances (answer 10 s, duration 5 s)', () => {
    const rng = seededRng(8);
    const records = Array.from({ length: 1000 }, () => carrierRecord(rng, call));
    const reported = records.filter((r) => r !== null);
    expect(reported.length).toBeGreaterThan(430);
    expect(reported.length).toBeLessThan(570);
    let shifted = 0;
    for (const r of reported) {
      expect(r).toMatchObject({ recordId: 'demo-run1-7-carrier', source: 'CARRIER', carrierId: 'carrier-atlas', requestId: 'req-1', destination: call.number });
      const answerShift = Math.abs(Date.parse(r.intervalStart) - call.answeredAt.getTime());
      expect(answerShift).toBeLessThanOrEqual(3_000);
      expect(Math.abs(Number(r.quantity) - call.seconds)).toBeLessThanOrEqual(2);
      expect(Date.parse(r.intervalEnd) - Date.parse(r.intervalStart)).toBe(Number(r.quantity) * 1000);
      if (answerShift > 0 || r.quantity !== '95') shifted++;
    }
    expect(shifted).toBeGreaterThan(reported.length / 2);
  });
});

describe('request tracking and bill periods', () => {
  const tracked = (over: Partial<TrackedRequest>): TrackedRequest => ({
    id: 'r',
    buyerId: 'buyer-acme',
    destinations: ['4420'],
    start: new Date(NOW.getTime() + 20_000),
    end: new Date(NOW.getTime() + 200_000),
    biddingClosesAt: new Date(NOW.getTime() + 8_000),
    status: 'OPEN',
    ...over,
  });

  it('settles OPEN requests once their bidding is over', () => {
    const reqs = [tracked({ id: 'a' }), tracked({ id: 'b', biddingClosesAt: NOW }), tracked({ id: 'c', biddingClosesAt: NOW, status: 'AWARDED' })];
    expect(requestsToSettle(reqs, NOW.getTime()).map((r) => r.id)).toEqual(['b']);
    expect(requestsToSettle(reqs, NOW.getTime() + 8_000).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('a buyer\'s switch has routes for its awards in service, and forgets them when over', () => {
    const reqs = [
      tracked({ id: 'a', status: 'AWARDED', destinations: ['4420', '49'] }),
      tracked({ id: 'b', status: 'AWARDED', destinations: ['33'], buyerId: 'buyer-initech' }),
      tracked({ id: 'c', status: 'NO_AWARD', destinations: ['1'] }),
      tracked({ id: 'd', status: 'AWARDED', destinations: ['44'], start: new Date(NOW.getTime() + 100_000) }),
    ];
    const at = NOW.getTime() + 30_000;
    expect(liveDestinations(reqs, at)).toEqual(new Map([['buyer-acme', ['4420', '49']], ['buyer-initech', ['33']]]));
    expect(liveDestinations(reqs, NOW.getTime() + 200_000)).toEqual(new Map());
    expect(finished(reqs[0], at)).toBe(false);
    expect(finished(reqs[0], NOW.getTime() + 200_000)).toBe(true);
    expect(finished(tracked({ end: NOW }), NOW.getTime() + 1)).toBe(false); // still OPEN: settled first
  });

  it('bills a demo period once its last calls can have ended', () => {
    const period = 300_000;
    const start = billPeriodStart(NOW.getTime() + 61_000, period);
    expect(start).toBe(NOW.getTime());
    expect(billPeriodsDue([start, start + period], start + period + 311_999, period, 312_000)).toEqual([]);
    expect(billPeriodsDue([start + period, start], start + period + 312_000, period, 312_000)).toEqual([start]);
  });
});

describe('where it runs', () => {
  it('follows SEED_DEMO_DATA unless DEMO_MARKET says otherwise', () => {
    expect(demoMarketDecision({ SEED_DEMO_DATA: 'true' }).run).toBe(true);
    expect(demoMarketDecision({ SEED_DEMO_DATA: 'false' }).run).toBe(false);
    expect(demoMarketDecision({}).run).toBe(false);
    expect(demoMarketDecision({ SEED_DEMO_DATA: 'true', DEMO_MARKET: 'false' }).run).toBe(false);
    expect(demoMarketDecision({ DEMO_MARKET: 'true' }).run).toBe(true);
    expect(demoMarketDecision({ SEED_DEMO_DATA: 'true', DEMO_MARKET: 'maybe' }).run).toBe(false);
  });

  it('never in production: ignored by default, refused when asked for', () => {
    expect(demoMarketDecision({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true' })).toMatchObject({ run: false, refused: false, production: true });
    const asked = demoMarketDecision({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true', DEMO_MARKET: 'true' });
    expect(asked).toMatchObject({ run: false, refused: true });
    expect(asked.reason).toMatch(/refused in production/);
    expect(demoMarketDecision({ JWT_JWKS_URL: 'https://idp.example/jwks', DEMO_MARKET: 'true' })).toMatchObject({ run: false, refused: true });
  });
});
