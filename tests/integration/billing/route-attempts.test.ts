// Routing attempts pushed by the Moderator (CONTRACT §3) and the ASR/ACD of the reconciliation.
import { gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, ingestOk, moderatorToken, recordSelection, voice, type Billing } from './fixtures';

const RECORD = `mutation($s: [RouteAttemptSlotInput!]!) { recordRouteAttempts(slots: $s) }`;
const RECON = `query($b: ID!, $c: ID!, $p: IntervalInput!, $r: ID) { reconciliation(buyerId: $b, carrierId: $c, period: $p, requestId: $r) { calls attempts answered asr acd csv } }`;
const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };

describe('recordRouteAttempts and the reconciliation\'s ASR/ACD', () => {
  let b: Billing;
  let moderator: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    moderator = await moderatorToken();
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  const attemptsOf = async (selectionId: string) => (await b.models.RouteAttempt.find({ selectionId }).sort({ slotStart: 1 }).lean()).map((d) => [d.slotStart.toISOString(), d.attempts]);

  it('keeps the largest total ever received per slot: re-sends and late lower totals change nothing', async () => {
    const slots = [{ selectionId: 'ra-sel', slotStart: '2026-11-03T10:00:00Z', attempts: 5 }, { selectionId: 'ra-sel', slotStart: '2026-11-03T10:05:00Z', attempts: 2 }];
    expect((await gqlOk(b.url, RECORD, { s: slots }, moderator)).recordRouteAttempts).toBe(2);
    expect((await gqlOk(b.url, RECORD, { s: slots }, moderator)).recordRouteAttempts).toBe(2);
    await gqlOk(b.url, RECORD, { s: [{ ...slots[0], attempts: 3 }, { ...slots[1], attempts: 6 }] }, await token('ADMIN', 'admin-1'));
    // Pushes crossing each other: the largest stands whatever the order of arrival.
    await Promise.all([7, 9, 8].map((n) => gqlOk(b.url, RECORD, { s: [{ ...slots[0], attempts: n }] }, moderator)));
    expect(await attemptsOf('ra-sel')).toEqual([['2026-11-03T10:00:00.000Z', 9], ['2026-11-03T10:05:00.000Z', 6]]);
  });

  it('refuses other roles (FORBIDDEN) and a bad slot (BAD_USER_INPUT naming it) without writing anything', async () => {
    const slot = { selectionId: 'ra-bad', slotStart: '2026-11-03T10:00:00Z', attempts: 1 };
    for (const who of [await token('BUYER', 'ra-buyer'), await token('CARRIER', 'ra-carrier'), await agentToken()]) {
      expect((await gql(b.url, RECORD, { s: [slot] }, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const bad = await gql(b.url, RECORD, { s: [slot, { ...slot, slotStart: '2026-11-03T10:02:30Z' }] }, moderator);
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'slots[1].slotStart' }, message: expect.stringMatching(/5-minute boundary/) });
    const negative = await gql(b.url, RECORD, { s: [{ ...slot, attempts: -2 }] }, moderator);
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'slots[0].attempts' });
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...slot, slotStart: new Date(Date.UTC(2026, 10, 1) + i * 300_000).toISOString() }));
    expect((await gql(b.url, RECORD, { s: tooMany }, moderator)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'slots' });
    expect(await b.models.RouteAttempt.countDocuments({ selectionId: 'ra-bad' })).toBe(0);
  });

  it('attempts of a selection billing does not know yet are kept and counted once it arrives; ASR and ACD from the billed calls', async () => {
    const pair = { buyerId: 'asr-buyer', carrierId: 'asr-carrier' };
    // Attempts before the selection record: kept. One slot in October is outside the period.
    await gqlOk(b.url, RECORD, { s: [
      { selectionId: 'asr-sel', slotStart: '2026-11-05T10:00:00Z', attempts: 6 },
      { selectionId: 'asr-sel', slotStart: '2026-11-05T10:05:00Z', attempts: 2 },
      { selectionId: 'asr-sel', slotStart: '2026-10-31T23:55:00Z', attempts: 40 },
      { selectionId: 'asr-other-sel', slotStart: '2026-11-05T10:00:00Z', attempts: 3 },
    ] }, moderator);
    const agent = await agentToken();
    const buyer = await token('BUYER', 'asr-buyer');
    let r = (await gqlOk(b.url, RECON, { b: 'asr-buyer', c: 'asr-carrier', p: NOV }, buyer)).reconciliation;
    expect([r.attempts, r.answered, r.asr, r.acd]).toEqual([0, 0, null, null]);

    await recordSelection(b, { selectionId: 'asr-sel', requestId: 'asr-req', ...pair, start: NOV.start, end: NOV.end });
    await recordSelection(b, { selectionId: 'asr-sel-2', requestId: 'asr-req-2', ...pair, start: NOV.start, end: NOV.end });
    await gqlOk(b.url, RECORD, { s: [{ selectionId: 'asr-sel-2', slotStart: '2026-11-06T00:00:00Z', attempts: 2 }] }, moderator);
    // Three answered calls of request asr-req (one of 0 s: not answered), one of asr-req-2.
    await ingestOk(b, [
      voice({ ...pair, requestId: 'asr-req', seconds: 60, start: '2026-11-05T10:00:10Z', destination: '+442079460001' }),
      voice({ ...pair, requestId: 'asr-req', seconds: 90, start: '2026-11-05T10:01:10Z', destination: '+442079460002' }),
      voice({ ...pair, requestId: 'asr-req', seconds: 0, start: '2026-11-05T10:02:10Z', destination: '+442079460003' }),
      voice({ ...pair, requestId: 'asr-req-2', seconds: 31, start: '2026-11-06T00:00:10Z', destination: '+442079460004' }),
    ], agent);
    r = (await gqlOk(b.url, RECON, { b: 'asr-buyer', c: 'asr-carrier', p: NOV }, buyer)).reconciliation;
    expect([r.attempts, r.answered, r.asr, r.acd]).toEqual([10, 3, '0.3000', '60.3']);
    expect(r.csv.split('\n').slice(0, 2)[0]).toBe('buyer,carrier,request,period start,period end,currency,calls,attempts,answered,asr,acd seconds');
    expect(r.csv.split('\n')[1]).toMatch(/,10,3,0\.3000,60\.3$/);
    const one = (await gqlOk(b.url, RECON, { b: 'asr-buyer', c: 'asr-carrier', p: NOV, r: 'asr-req' }, buyer)).reconciliation;
    expect([one.attempts, one.answered, one.asr, one.acd]).toEqual([8, 2, '0.2500', '75.0']);
  });
});
