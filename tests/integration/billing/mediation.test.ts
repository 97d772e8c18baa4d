// Mediation (issue 13, item 3): the same calls from several sources are billed once, by the
// elected source's record; the others are kept as evidence linked to the call; a better source
// arriving after the bill goes to an ADJUSTMENT bill, never silently.
import { Dec } from '../../../billing-subgraph/src/domain';
import { gqlOk } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, recordSelection, type Billing } from './fixtures';
import { startBilling } from '../../support/harness';

const RECONCILIATION = `query($b: ID!, $c: ID!, $p: IntervalInput!) { reconciliation(buyerId: $b, carrierId: $c, period: $p) { calls currency period { start end } sources { source calls seconds minutes amount } comparisons { a b matched onlyInA onlyInB durationMismatches secondsDifference amountDifference } csv } }`;
const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
const DESTS = Array.from({ length: 20 }, (_, i) => `4420794600${String(i).padStart(2, '0')}`);

/** Deterministic jitter in [-max, max]. */
function jitter(seed: number, max: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return Math.round((x - Math.floor(x)) * 2 * max - max);
}

function call(i: number, source: string, buyerId: string, carrierId: string, jitterSeed: number) {
  // Calls 30 s apart over the day, 20 destinations in turn: a destination's calls are 600 s apart.
  const answer = Date.UTC(2026, 10, 3, 0, 0, 0) + i * 30_000 + jitter(i * 7 + jitterSeed, 3) * 1000;
  const seconds = 60 + (i % 240) + jitter(i * 13 + jitterSeed, 2);
  return {
    recordId: `${carrierId}-${source.toLowerCase()}-${i}`,
    source,
    buyerId,
    carrierId,
    intervalStart: new Date(answer).toISOString(),
    intervalEnd: new Date(answer + seconds * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(seconds),
    destination: `+${DESTS[i % DESTS.length]}`,
  };
}

describe('mediation: one call, one charge', () => {
  let b: Billing;
  let agent: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    agent = await agentToken();
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  async function usageByStatus(carrierId: string) {
    const out: Record<string, number> = {};
    for (const status of ['RATED', 'CORROBORATING', 'UNASSOCIATED', 'ASSOCIATED'] as const) out[status] = await b.models.Usage.countDocuments({ carrierId, status });
    return out;
  }

  it('1,000 calls from three sources with jittered times and durations: 1,000 billable calls, one bill with the measuring equipment\'s minutes', async () => {
    await recordSelection(b, { selectionId: 'med-sel', requestId: 'med-req', buyerId: 'med-buyer', carrierId: 'med-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const n = 1000;
    const batch = (source: string, seed: number) => Array.from({ length: n }, (_, i) => call(i, source, 'med-buyer', 'med-carrier', seed));
    // The carrier reports first, the measuring equipment (higher precedence) later, the LEC last.
    expect(await ingestOk(b, batch('CARRIER', 1), agent)).toMatchObject({ accepted: n, rejected: [] });
    expect(await ingestOk(b, batch('MEASURING_EQUIPMENT', 2), agent)).toMatchObject({ accepted: n, rejected: [] });
    expect(await ingestOk(b, batch('LOCAL_EXCHANGE_CARRIER', 3), agent)).toMatchObject({ accepted: n, rejected: [] });

    expect(await usageByStatus('med-carrier')).toEqual({ RATED: n, CORROBORATING: 2 * n, UNASSOCIATED: 0, ASSOCIATED: 0 });
    const billable = await b.models.Usage.find({ carrierId: 'med-carrier', status: 'RATED' }).lean();
    expect(new Set(billable.map((u) => u.source))).toEqual(new Set(['MEASURING_EQUIPMENT']));
    // Every call's three records share one callId; the carrier's records say which record replaced them.
    const calls = new Map<string, Set<string>>();
    for (const u of await b.models.Usage.find({ carrierId: 'med-carrier' }).lean()) {
      const id = u.callId ?? u._id;
      if (!calls.has(id)) calls.set(id, new Set());
      calls.get(id)!.add(u.source);
    }
    expect(calls.size).toBe(n);
    expect([...calls.values()].every((s) => s.size === 3)).toBe(true);
    const carrierRecord = await b.models.Usage.findOne({ carrierId: 'med-carrier', recordId: 'med-carrier-carrier-5' }).lean();
    expect(carrierRecord).toMatchObject({ status: 'CORROBORATING', supersededBy: 'MEASURING_EQUIPMENT:med-carrier-measuring_equipment-5' });

    const meterSeconds = billable.reduce((s, u) => s.plus(u.quantity), new Dec(0));
    const bill = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'med-carrier');
    expect(bill.kind).toBe('PERIODIC');
    const usage = bill.lines.filter((l: any) => l.kind === 'USAGE');
    const minutes = usage.reduce((s: Dec, l: any) => s.plus(l.quantity), new Dec(0));
    expect(minutes.toFixed(6)).toBe(meterSeconds.div(60).toFixed(6));
    const amount = usage.reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0));
    expect(amount.toFixed(6)).toBe(meterSeconds.times('0.01').toFixed(6));

    // The reconciliation both sides compare: every call matched across the three sources.
    const { token } = await import('../../support/harness');
    const rec = (await gqlOk(b.url, RECONCILIATION, { b: 'med-buyer', c: 'med-carrier', p: NOV }, await token('BUYER', 'med-buyer'))).reconciliation;
    expect(rec.calls).toBe(n);
    expect(rec.sources.map((x: any) => [x.source, x.calls])).toEqual([['MEASURING_EQUIPMENT', n], ['LOCAL_EXCHANGE_CARRIER', n], ['CARRIER', n]]);
    expect(rec.sources[0].minutes).toBe(meterSeconds.div(60).toFixed(6));
    expect(rec.comparisons.map((x: any) => [x.a, x.b, x.matched, x.onlyInA, x.onlyInB, x.durationMismatches])).toEqual([
      ['MEASURING_EQUIPMENT', 'LOCAL_EXCHANGE_CARRIER', n, 0, 0, 0],
      ['MEASURING_EQUIPMENT', 'CARRIER', n, 0, 0, 0],
      ['LOCAL_EXCHANGE_CARRIER', 'CARRIER', n, 0, 0, 0],
    ]);
    expect(rec.csv.split('\n')[3]).toBe('source,calls,seconds,minutes,amount');
    expect(rec.csv).toContain(`MEASURING_EQUIPMENT,${n},${meterSeconds.toFixed()},${meterSeconds.div(60).toFixed(6)},${meterSeconds.times('0.01').toFixed(6)}`);
  }, 120_000);

  it('reconciliation: calls only one side reported, durations beyond the tolerance, the money difference; parties see their own pair only', async () => {
    await recordSelection(b, { selectionId: 'rec-sel', requestId: 'rec-req', buyerId: 'rec-buyer', carrierId: 'rec-carrier', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const at = (m: number, s = 0) => new Date(Date.UTC(2026, 10, 5, 10, m, s)).toISOString();
    const rec = (recordId: string, source: string, start: string, seconds: number) => ({ recordId, source, buyerId: 'rec-buyer', carrierId: 'rec-carrier', intervalStart: start, intervalEnd: new Date(Date.parse(start) + seconds * 1000).toISOString(), serviceType: 'VOICE', quantity: String(seconds), destination: '+442079460000' });
    await ingestOk(b, [rec('m1', 'MEASURING_EQUIPMENT', at(0), 100), rec('m2', 'MEASURING_EQUIPMENT', at(10), 200), rec('m3', 'MEASURING_EQUIPMENT', at(20), 300)], agent);
    // The carrier: m1 matched (2 s later, 1 s longer), m2 30 s longer (the same call, its duration beyond the tolerance), m3 missing, one call of its own.
    await ingestOk(b, [rec('c1', 'CARRIER', at(0, 2), 101), rec('c2', 'CARRIER', at(10, 1), 230), rec('c4', 'CARRIER', at(40), 60)], agent);
    const { token, gql } = await import('../../support/harness');
    const r = (await gqlOk(b.url, RECONCILIATION, { b: 'rec-buyer', c: 'rec-carrier', p: NOV }, await token('CARRIER', 'rec-carrier'))).reconciliation;
    expect(r.sources.map((x: any) => [x.source, x.calls, x.seconds, x.amount])).toEqual([['MEASURING_EQUIPMENT', 3, '600', '6.000000'], ['CARRIER', 3, '391', '3.910000']]);
    // m2/c2 is one call (one rule for the bill and the reconciliation), billed once, with a duration mismatch.
    expect(r.comparisons).toEqual([{ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 2, onlyInA: 1, onlyInB: 1, durationMismatches: 1, secondsDifference: '-209', amountDifference: '-2.090000' }]);
    expect(r.calls).toBe(4);
    expect(await usageByStatus('rec-carrier')).toEqual({ RATED: 4, CORROBORATING: 2, UNASSOCIATED: 0, ASSOCIATED: 0 });
    const stranger = await gql(b.url, RECONCILIATION, { b: 'rec-buyer', c: 'rec-carrier', p: NOV }, await token('CARRIER', 'med-carrier'));
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const tooLong = await gql(b.url, RECONCILIATION, { b: 'rec-buyer', c: 'rec-carrier', p: { start: '2026-10-01T00:00:00Z', end: '2026-12-01T00:00:00Z' } }, agent);
    expect(tooLong.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/at most 32 days/) });
  });

  it('a better source arriving after the bill was issued goes to an ADJUSTMENT bill with the difference; the issued bill stays', async () => {
    await recordSelection(b, { selectionId: 'late-sel', requestId: 'late-req', buyerId: 'late-buyer', carrierId: 'late-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const carrier = { ...call(1, 'CARRIER', 'late-buyer', 'late-carrier', 0), intervalStart: '2026-11-03T00:00:30Z', quantity: '300', intervalEnd: '2026-11-03T00:05:30Z' };
    await ingestOk(b, [carrier], agent);
    const first = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'late-carrier');
    expect(first.lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => [l.quantity, l.amount])).toEqual([['5', '3.000000']]);

    // The Moderator's record of the same call (3 s later, 297 s) outranks the carrier's.
    const moderator = { ...carrier, recordId: 'mod-1', source: 'MODERATOR', intervalStart: '2026-11-03T00:00:33Z', quantity: '297' };
    expect(await ingestOk(b, [moderator], agent)).toMatchObject({ accepted: 1 });
    const run = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills;
    const mine = run.bills.filter((x: any) => x.carrier.id === 'late-carrier');
    expect(mine.map((x: any) => x.kind)).toEqual(['PERIODIC', 'ADJUSTMENT']);
    const { documentUrls: _a, ...issued } = mine[0];
    const { documentUrls: _b, ...before } = first;
    expect(issued).toEqual(before);
    const adj = mine[1].lines.filter((l: any) => l.kind === 'USAGE');
    // 297 s replaces 300 s: -0.03
    expect(adj.reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0)).toFixed(6)).toBe('-0.030000');
    expect(adj.reduce((s: Dec, l: any) => s.plus(l.quantity), new Dec(0)).toFixed(2)).toBe('-0.05');
    // the document (issue 21): a credit note saying which call was reversed and what replaced it, 0 calls net
    expect(mine[1].number).toMatch(/^CN-/);
    const page = (await (await fetch(mine[1].documentUrls.html)).text()).replace(/&quot;/g, '"');
    expect(page).toContain(`<h1>Credit note ${mine[1].number}</h1>`);
    expect(page).toContain(`<dd id="corrects">${first.number}</dd>`);
    expect(page).toMatch(new RegExp(`Reversed: call [^ ]+ \\(source CARRIER\\) to \\+\\d+ at 2026-11-03 00:00:30, 300 s, charged on invoice ${first.number} at 3\\.00 USD, superseded by a better record of the same call; now -3\\.00 USD\\.`));
    expect(page).toMatch(/Replacement: call mod-1 \(source MODERATOR\) to \+\d+ at 2026-11-03 00:00:33, 297 s, the better record of the reversed call; charged 2\.97 USD\./);
    expect(page).toMatch(/<td>\+\d+ [^<]+<\/td><td class="n">0<\/td><td class="n">-0\.05<\/td><td class="n">[^<]*<\/td><td class="n">-0\.03<\/td>/);

    // The LEC's record afterwards only corroborates: no third bill.
    await ingestOk(b, [{ ...carrier, recordId: 'lec-1', source: 'LOCAL_EXCHANGE_CARRIER', quantity: '299' }], agent);
    expect((await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.issued).toBe(0);
    expect(await usageByStatus('late-carrier')).toEqual({ RATED: 1, CORROBORATING: 2, UNASSOCIATED: 0, ASSOCIATED: 0 });
  });

  it('usage parked before its selection is mediated when it is associated', async () => {
    const early = [call(1, 'CARRIER', 'park-buyer', 'park-carrier', 0), call(1, 'MEASURING_EQUIPMENT', 'park-buyer', 'park-carrier', 5)];
    await ingestOk(b, early, agent);
    await recordSelection(b, { selectionId: 'park-sel', requestId: 'park-req', buyerId: 'park-buyer', carrierId: 'park-carrier', start: NOV.start, end: NOV.end });
    expect(await usageByStatus('park-carrier')).toEqual({ RATED: 1, CORROBORATING: 1, UNASSOCIATED: 0, ASSOCIATED: 0 });
    expect((await b.models.Usage.findOne({ carrierId: 'park-carrier', status: 'RATED' }).lean())!.source).toBe('MEASURING_EQUIPMENT');
    expect(await b.models.BillingRecord.countDocuments({ carrierId: 'park-carrier' })).toBe(1);
  });

  it('a pair\'s own precedence elects its source (setMediationPolicy), validated field by field', async () => {
    const set = `mutation($i: MediationPolicyInput!) { setMediationPolicy(input: $i) { buyerId carrierId precedence answerToleranceSeconds durationToleranceSeconds durationTolerancePercent } }`;
    expect((await gqlOk(b.url, set, { i: { buyerId: 'pol-buyer', carrierId: 'pol-carrier', precedence: ['CARRIER', 'MEASURING_EQUIPMENT'] } }, agent)).setMediationPolicy).toEqual({
      buyerId: 'pol-buyer', carrierId: 'pol-carrier', precedence: ['CARRIER', 'MEASURING_EQUIPMENT'], answerToleranceSeconds: 10, durationToleranceSeconds: 5, durationTolerancePercent: 2,
    });
    await recordSelection(b, { selectionId: 'pol-sel', requestId: 'pol-req', buyerId: 'pol-buyer', carrierId: 'pol-carrier', start: NOV.start, end: NOV.end });
    await ingestOk(b, [call(2, 'MEASURING_EQUIPMENT', 'pol-buyer', 'pol-carrier', 0), call(2, 'CARRIER', 'pol-buyer', 'pol-carrier', 9)], agent);
    expect((await b.models.Usage.findOne({ carrierId: 'pol-carrier', status: 'RATED' }).lean())!.source).toBe('CARRIER');
    const { gql } = await import('../../support/harness');
    const bad = await gql(b.url, set, { i: { buyerId: 'pol-buyer', carrierId: 'pol-carrier', precedence: ['CARRIER', 'CARRIER'] } }, agent);
    expect(bad.errors?.[0]).toMatchObject({ message: expect.stringMatching(/input.precedence must not list a source twice/), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('the same calls reported by two sources at the same moment are charged once (batches sharing called numbers take turns)', async () => {
    await recordSelection(b, { selectionId: 'race-sel', requestId: 'race-req', buyerId: 'race-buyer', carrierId: 'race-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const n = 200;
    const batch = (source: string, seed: number) => Array.from({ length: n }, (_, i) => call(i, source, 'race-buyer', 'race-carrier', seed));
    // Sent together: without turns both batches read "no other report of this call" and both are rated.
    const [carrier, meter] = await Promise.all([ingestOk(b, batch('CARRIER', 4), agent), ingestOk(b, batch('MEASURING_EQUIPMENT', 5), agent)]);
    expect([carrier.accepted, meter.accepted]).toEqual([n, n]);
    expect(await usageByStatus('race-carrier')).toEqual({ RATED: n, CORROBORATING: n, UNASSOCIATED: 0, ASSOCIATED: 0 });
    // Whichever came first, the charge that stands is one per call: reversals cancel any replaced one.
    const records = await b.models.BillingRecord.find({ carrierId: 'race-carrier' }).lean();
    const net = new Map<string, InstanceType<typeof Dec>>();
    for (const r of records as any[]) {
      const id = String(r._id).replace(/\|superseded$/, '');
      net.set(id, (net.get(id) ?? new Dec(0)).plus(r.billableQuantity));
    }
    const charged = [...net.entries()].filter(([, q]) => !q.isZero()).map(([id]) => id);
    expect(charged).toHaveLength(n);
    expect(charged.every((id) => id.startsWith('MEASURING_EQUIPMENT:'))).toBe(true);
  });

  it('160 s at the PBX and 180 s at the carrier answered 3 s later are one call: one charge of 160 s, one matched call with a 20 s duration mismatch', async () => {
    const pair = { buyerId: 'one-buyer', carrierId: 'one-carrier' };
    await recordSelection(b, { selectionId: 'one-sel', requestId: 'one-req', ...pair, quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const at = (s: number) => new Date(Date.UTC(2026, 10, 7, 9, 0, s)).toISOString();
    const rec = (recordId: string, source: string, startS: number, seconds: number, destination: string) => ({ recordId, source, ...pair, intervalStart: at(startS), intervalEnd: at(startS + seconds), serviceType: 'VOICE', quantity: String(seconds), destination });
    // The PBX first, then the carrier's record of the same call.
    expect(await ingestOk(b, [rec('pbx-1', 'MEASURING_EQUIPMENT', 0, 160, '+442079461111')], agent)).toMatchObject({ accepted: 1, rejected: [] });
    expect(await ingestOk(b, [rec('car-1', 'CARRIER', 3, 180, '+442079461111')], agent)).toMatchObject({ accepted: 1, rejected: [] });
    const pbx = await b.models.Usage.findOne({ recordId: 'pbx-1' }).lean();
    expect(await b.models.Usage.findOne({ recordId: 'car-1' }).lean()).toMatchObject({ status: 'CORROBORATING', callId: pbx!._id });
    expect(await b.models.BillingRecord.countDocuments({ carrierId: 'one-carrier' })).toBe(1);

    const bill = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'one-carrier');
    const usage = bill.lines.filter((l: any) => l.kind === 'USAGE');
    // 160 s = 2.666667 min at 0.6: 1.600000 (not 160 + 180 s).
    expect(usage.reduce((s: Dec, l: any) => s.plus(l.quantity), new Dec(0)).times(60).toFixed(0)).toBe('160');
    expect(usage.reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0)).toFixed(6)).toBe('1.600000');

    const { token } = await import('../../support/harness');
    const r = (await gqlOk(b.url, RECONCILIATION, { b: 'one-buyer', c: 'one-carrier', p: NOV }, await token('BUYER', 'one-buyer'))).reconciliation;
    expect(r.calls).toBe(1);
    expect(r.comparisons).toEqual([{ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 1, onlyInA: 0, onlyInB: 0, durationMismatches: 1, secondsDifference: '20', amountDifference: '0.200000' }]);
  });

  it('the carrier\'s 180 s first, then the PBX\'s 160 s: the carrier\'s charge is reversed, the call is billed once at 160 s', async () => {
    const pair = { buyerId: 'rev-buyer', carrierId: 'rev-carrier' };
    await recordSelection(b, { selectionId: 'rev-sel', requestId: 'rev-req', ...pair, quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const at = (s: number) => new Date(Date.UTC(2026, 10, 8, 9, 0, s)).toISOString();
    const rec = (recordId: string, source: string, startS: number, seconds: number) => ({ recordId, source, ...pair, intervalStart: at(startS), intervalEnd: at(startS + seconds), serviceType: 'VOICE', quantity: String(seconds), destination: '+442079462222' });
    await ingestOk(b, [rec('car-2', 'CARRIER', 3, 180)], agent);
    await ingestOk(b, [rec('pbx-2', 'MEASURING_EQUIPMENT', 0, 160)], agent);
    expect(await usageByStatus('rev-carrier')).toEqual({ RATED: 1, CORROBORATING: 1, UNASSOCIATED: 0, ASSOCIATED: 0 });
    expect((await b.models.Usage.findOne({ recordId: 'car-2' }).lean())!.supersededBy).toBe('MEASURING_EQUIPMENT:pbx-2');
    const bill = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'rev-carrier');
    const usage = bill.lines.filter((l: any) => l.kind === 'USAGE');
    expect(usage.reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0)).toFixed(6)).toBe('1.600000');
  });
  it('issue 24 item 4: reports of one call within one batch and across sources, a concurrent batch of other numbers in the same turn groups, and a re-send: each call charged once', async () => {
    await recordSelection(b, { selectionId: 'mix-sel', requestId: 'mix-req', buyerId: 'mix-buyer', carrierId: 'mix-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const rec = (i: number, source: string, seed: number) => call(i, source, 'mix-buyer', 'mix-carrier', seed);
    // One batch carries the carrier's and the meter's report of calls 0–99 (the same call twice within itself).
    const both = Array.from({ length: 100 }, (_, i) => [rec(i, 'CARRIER', 1), rec(i, 'MEASURING_EQUIPMENT', 2)]).flat();
    // At the same moment the LEC reports calls 50–149 (half of them the first batch's calls, on the same numbers).
    const lec = Array.from({ length: 100 }, (_, k) => rec(50 + k, 'LOCAL_EXCHANGE_CARRIER', 3));
    // And a third batch of calls on other numbers, which share the turn groups of the first two.
    const other = Array.from({ length: 100 }, (_, k) => ({ ...rec(200 + k, 'CARRIER', 4), destination: `+44113496${String(k).padStart(4, '0')}` }));
    const [a, l, o] = await Promise.all([ingestOk(b, both, agent), ingestOk(b, lec, agent), ingestOk(b, other, agent)]);
    expect([a.accepted, l.accepted, o.accepted]).toEqual([200, 100, 100]);
    // Re-sent: all duplicates, nothing charged again.
    expect(await ingestOk(b, both, agent)).toMatchObject({ accepted: 0, duplicates: 200, rejected: [] });
    expect(await ingestOk(b, lec, agent)).toMatchObject({ accepted: 0, duplicates: 100, rejected: [] });

    // 250 calls: 0–149 reported by two or three sources, 200–299 by one.
    expect(await usageByStatus('mix-carrier')).toEqual({ RATED: 250, CORROBORATING: 150, UNASSOCIATED: 0, ASSOCIATED: 0 });
    const usage = await b.models.Usage.find({ carrierId: 'mix-carrier' }).lean();
    const records = (await b.models.BillingRecord.find({ carrierId: 'mix-carrier' }).lean()) as any[];
    const net = new Map<string, InstanceType<typeof Dec>>();
    for (const r of records) {
      const id = String(r._id).replace(/\|superseded$/, '');
      net.set(id, (net.get(id) ?? new Dec(0)).plus(r.billableQuantity));
    }
    const perCall = new Map<string, number>();
    for (const u of usage) {
      const q = net.get(u._id);
      if (q && !q.isZero()) perCall.set(u.callId ?? u._id, (perCall.get(u.callId ?? u._id) ?? 0) + 1);
    }
    expect(perCall.size).toBe(250);
    expect([...perCall.values()].every((n) => n === 1)).toBe(true);
    // The meter ranks first: its record is the charge of every call it reported.
    const rated = usage.filter((u) => u.status === 'RATED');
    expect(rated.filter((u) => u.source === 'MEASURING_EQUIPMENT')).toHaveLength(100);
    expect(await b.models.Lease.countDocuments({})).toBe(0);
  });

  it('a record sent twice within one batch is stored and charged once (the second copy is a duplicate)', async () => {
    await recordSelection(b, { selectionId: 'twice-sel', requestId: 'twice-req', buyerId: 'twice-buyer', carrierId: 'twice-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const r = (i: number, source: string) => call(i, source, 'twice-buyer', 'twice-carrier', 5);
    const out = await ingestOk(b, [r(1, 'MEASURING_EQUIPMENT'), r(1, 'MEASURING_EQUIPMENT'), r(2, 'CARRIER'), r(2, 'CARRIER'), r(2, 'MEASURING_EQUIPMENT')], agent);
    expect(out).toMatchObject({ accepted: 3, duplicates: 2, rejected: [] });
    expect(await usageByStatus('twice-carrier')).toEqual({ RATED: 2, CORROBORATING: 1, UNASSOCIATED: 0, ASSOCIATED: 0 });
    const records = (await b.models.BillingRecord.find({ carrierId: 'twice-carrier' }).lean()) as any[];
    const net = new Map<string, InstanceType<typeof Dec>>();
    for (const x of records) {
      const id = String(x._id).replace(/\|superseded$/, '');
      net.set(id, (net.get(id) ?? new Dec(0)).plus(x.billableQuantity));
    }
    expect([...net.values()].filter((q) => !q.isZero())).toHaveLength(2);
  });
  it('a declared correction of parked records (correctParked) meets the other sources\' records of its calls: every call charged once, whichever source wins', async () => {
    const pair = { buyerId: 'cp-buyer', carrierId: 'cp-carrier' };
    await recordSelection(b, { selectionId: 'cp-sel', requestId: 'cp-req', ...pair, quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    const at = (s: number) => new Date(Date.UTC(2026, 10, 9, 9, 0, s)).toISOString();
    const rec = (recordId: string, source: string, carrierId: string, startS: number, seconds: number, destination: string) => ({ recordId, source, buyerId: pair.buyerId, carrierId, intervalStart: at(startS), intervalEnd: at(startS + seconds), serviceType: 'VOICE', quantity: String(seconds), destination });
    const INGEST_CORRECTING = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records, correctParked: true) { accepted duplicates rejected { index recordId field reason } } }`;
    // Call 1: the carrier's record is charged; the PBX's import named the wrong carrier and is parked.
    // Call 2: the PBX's record is charged; the carrier's import (the lower source) is parked.
    await ingestOk(b, [rec('cp-car-1', 'CARRIER', 'cp-carrier', 3, 180, '+442079463331'), rec('cp-pbx-2', 'MEASURING_EQUIPMENT', 'cp-carrier', 600, 100, '+442079463332')], agent);
    await ingestOk(b, [rec('cp-pbx-1', 'MEASURING_EQUIPMENT', 'cp-wrong', 0, 160, '+442079463331'), rec('cp-car-2', 'CARRIER', 'cp-wrong', 602, 130, '+442079463332')], agent);
    expect(await b.models.Usage.countDocuments({ carrierId: 'cp-wrong', status: 'UNASSOCIATED' })).toBe(2);
    // The corrections (the right carrier, and for call 2 also another duration), declared.
    const fixed = (await gqlOk(b.url, INGEST_CORRECTING, { records: [rec('cp-pbx-1', 'MEASURING_EQUIPMENT', 'cp-carrier', 0, 160, '+442079463331'), rec('cp-car-2', 'CARRIER', 'cp-carrier', 602, 125, '+442079463332')] }, agent)).ingestUsage;
    expect(fixed).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await b.models.Usage.countDocuments({ carrierId: 'cp-wrong' })).toBe(0);
    // Call 1: the PBX (higher precedence) now wins: the carrier's charge is reversed. Call 2: the PBX keeps it.
    expect((await b.models.Usage.findOne({ recordId: 'cp-car-1' }).lean())!.supersededBy).toBe('MEASURING_EQUIPMENT:cp-pbx-1');
    expect(await b.models.Usage.findOne({ recordId: 'cp-car-2' }).lean()).toMatchObject({ status: 'CORROBORATING' });
    // A second correction of records that are no longer parked is a conflict and changes nothing.
    const again = (await gqlOk(b.url, INGEST_CORRECTING, { records: [rec('cp-pbx-1', 'MEASURING_EQUIPMENT', 'cp-carrier', 0, 150, '+442079463331')] }, agent)).ingestUsage;
    expect(again.accepted).toBe(0);
    expect(again.rejected[0].reason).toMatch(/conflict/);
    const bill = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'cp-carrier');
    const usage = bill.lines.filter((l: any) => l.kind === 'USAGE');
    // 160 s (call 1, the PBX) + 100 s (call 2, the PBX) at 0.6/min = 2.600000, not 180 + 160 + 100 + 125 s.
    expect(usage.reduce((s: Dec, l: any) => s.plus(l.quantity), new Dec(0)).times(60).toFixed(0)).toBe('260');
    expect(usage.reduce((s: Dec, l: any) => s.plus(l.amount), new Dec(0)).toFixed(6)).toBe('2.600000');
  });
});
