import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, billingRecords, ingest, ingestOk, recordSelection, voice, type Billing } from './fixtures';

describe('ingestUsage: idempotency, rejections, entitlement, late selections', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    await recordSelection(b, { selectionId: 'ing-sel', requestId: 'ing-req', buyerId: 'ing-buyer', carrierId: 'ing-carrier', incentive: { currency: 'USD', ratePerUnit: '0.6' } });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  const rec = (id: string, seconds = 60, extra: Record<string, unknown> = {}) => ({ ...voice({ recordId: id, seconds, buyerId: 'ing-buyer', carrierId: 'ing-carrier' }), ...extra });

  it('counts a re-delivered record as a duplicate and never charges it twice', async () => {
    const batch = [rec('dup-1'), rec('dup-2')];
    expect(await ingestOk(b, batch)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await ingestOk(b, [...batch, rec('dup-3'), rec('dup-3')])).toEqual({ accepted: 1, duplicates: 3, rejected: [] });
    const recs = await billingRecords(b, 'ing-req');
    expect(recs.filter((r) => /dup-/.test(r.id)).map((r) => r.id).sort()).toEqual(['MODERATOR:dup-1', 'MODERATOR:dup-2', 'MODERATOR:dup-3']);
    // the same recordId from another source is another record
    expect(await ingestOk(b, [rec('dup-1', 60, { source: 'CARRIER' })])).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('keeps bad records with their reasons while storing the good ones', async () => {
    const out = await ingestOk(b, [
      rec('good-1'),
      rec('bad-qty', 60, { quantity: '12.5555' }),
      rec('bad-interval', 60, { intervalEnd: '2026-10-01T00:00:00Z' }),
      rec('bad-dest', 60, { destination: 'LONDON' }),
      rec('good-2'),
    ]);
    expect(out.accepted).toBe(2);
    expect(out.rejected.map((r: any) => [r.index, r.recordId, r.field])).toEqual([
      [1, 'bad-qty', 'quantity'],
      [2, 'bad-interval', 'intervalEnd'],
      [3, 'bad-dest', 'destination'],
    ]);
    expect(out.rejected[1].reason).toBe('intervalEnd must be after intervalStart');
    const listed = await gqlOk(b.url, `{ rejectedUsage(filter: { recordId: "bad-qty" }) { nodes { recordId field reason raw reportedBy index batchId } } }`, {}, await agentToken());
    expect(listed.rejectedUsage.nodes).toHaveLength(1);
    expect(listed.rejectedUsage.nodes[0]).toMatchObject({ recordId: 'bad-qty', field: 'quantity', reportedBy: 'BILLING_AGENT:agent-1', index: 1 });
    expect(JSON.parse(listed.rejectedUsage.nodes[0].raw).quantity).toBe('12.5555');
  });

  it('keeps a record whose id holds a NUL or other control character as rejected, with the id escaped (PostgreSQL refuses NUL)', async () => {
    const out = await ingestOk(b, [rec('ok-ctl'), rec('ctl\u0000id'), rec('ctl\nid')]);
    expect(out.accepted).toBe(1);
    expect(out.rejected.map((r: any) => [r.index, r.recordId, r.field])).toEqual([
      [1, 'ctl\\u0000id', 'recordId'],
      [2, 'ctl\\u000aid', 'recordId'],
    ]);
    const listed = await gqlOk(b.url, `query($id: String!) { rejectedUsage(filter: { recordId: $id }) { nodes { recordId field reason raw } } }`, { id: 'ctl\\u0000id' }, await agentToken());
    expect(listed.rejectedUsage.nodes).toHaveLength(1);
    expect(listed.rejectedUsage.nodes[0]).toMatchObject({ field: 'recordId', reason: 'recordId must not contain control characters' });
    expect(JSON.parse(listed.rejectedUsage.nodes[0].raw).recordId).toBe('ctl\u0000id');
  });

  it('refuses batches over 10,000 records', async () => {
    const r = await ingest(b, Array.from({ length: 10_001 }, (_, i) => rec(`big-${i}`)));
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].extensions!.field).toBe('records');
  });

  it('lets a carrier report only its own traffic, with source CARRIER', async () => {
    const carrier = await token('CARRIER', 'ing-carrier');
    expect(await ingestOk(b, [rec('c-own', 60, { source: 'CARRIER' })], carrier)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const other = await ingest(b, [rec('c-other-ok', 60, { source: 'CARRIER' }), rec('c-other', 60, { source: 'CARRIER', carrierId: 'someone-else' })], carrier);
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    const wrongSource = await ingest(b, [rec('c-src', 60, { source: 'MODERATOR' })], carrier);
    expect(errorCodes(wrongSource)).toEqual(['FORBIDDEN']);
    expect(await b.models.Usage.countDocuments({ recordId: { $in: ['c-other-ok', 'c-other', 'c-src'] } })).toBe(0);
    const buyer = await ingest(b, [rec('by-buyer')], await token('BUYER', 'ing-buyer'));
    expect(errorCodes(buyer)).toEqual(['FORBIDDEN']);
    expect(errorCodes(await ingest(b, [rec('anon')], 'not-a-token'))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets a meter or LEC report only for the buyers it is registered for', async () => {
    const meter = await token('METER', 'meter-7');
    const m = { source: 'MEASURING_EQUIPMENT', equipmentId: 'meter-7' };
    expect(errorCodes(await ingest(b, [rec('m-1', 60, m)], meter))).toEqual(['FORBIDDEN']);
    const reg = `mutation($i: UsageReporterInput!) { registerUsageReporter(input: $i) { id kind buyerIds } }`;
    expect(errorCodes(await gql(b.url, reg, { i: { id: 'meter-7', kind: 'METER', buyerIds: ['ing-buyer'] } }, meter))).toEqual(['FORBIDDEN']);
    const r = await gqlOk(b.url, reg, { i: { id: 'meter-7', kind: 'METER', buyerIds: ['ing-buyer'] } }, await agentToken());
    expect(r.registerUsageReporter).toEqual({ id: 'meter-7', kind: 'METER', buyerIds: ['ing-buyer'] });
    expect(await ingestOk(b, [rec('m-1', 60, m)], meter)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(errorCodes(await ingest(b, [rec('m-2', 60, { ...m, buyerId: 'other-buyer' })], meter))).toEqual(['FORBIDDEN']);
    // a METER registration does not entitle an LEC credential with the same id
    const lec = await token('LEC', 'meter-7');
    expect(errorCodes(await ingest(b, [rec('l-1', 60, { source: 'LOCAL_EXCHANGE_CARRIER' })], lec))).toEqual(['FORBIDDEN']);
  });

  it('keeps usage that arrives before its selection UNASSOCIATED and rates it when the selection arrives', async () => {
    const early = [
      voice({ recordId: 'early-1', seconds: 90, buyerId: 'late-buyer', carrierId: 'late-carrier', destination: '+4420700' }),
      voice({ recordId: 'early-2', seconds: 30, buyerId: 'late-buyer', carrierId: 'late-carrier', requestId: 'late-req' }),
      voice({ recordId: 'early-3', seconds: 30, buyerId: 'late-buyer', carrierId: 'late-carrier', destination: '+3312345' }),
    ];
    expect(await ingestOk(b, early)).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    const q = `query($f: UsageRecordFilter) { usageRecords(filter: $f) { nodes { recordId status unassociatedReason requestId } } }`;
    const before = await gqlOk(b.url, q, { f: { buyerId: 'late-buyer' } }, await agentToken());
    expect(before.usageRecords.nodes.map((n: any) => [n.recordId, n.status, n.unassociatedReason])).toEqual([
      ['early-1', 'UNASSOCIATED', 'NO_MATCHING_SELECTION'],
      ['early-2', 'UNASSOCIATED', 'UNKNOWN_REQUEST'],
      ['early-3', 'UNASSOCIATED', 'NO_MATCHING_SELECTION'],
    ]);
    await recordSelection(b, { selectionId: 'late-sel', requestId: 'late-req', buyerId: 'late-buyer', carrierId: 'late-carrier', routes: [{ origin: 'US', destination: '44' }], incentive: { currency: 'USD', ratePerUnit: '0.6' } });
    const after = await gqlOk(b.url, q, { f: { buyerId: 'late-buyer' } }, await agentToken());
    expect(after.usageRecords.nodes.map((n: any) => [n.recordId, n.status, n.requestId])).toEqual([
      ['early-1', 'RATED', 'late-req'],
      ['early-2', 'RATED', 'late-req'],
      ['early-3', 'UNASSOCIATED', null], // destination 33 is not on the selected route 44
    ]);
    const recs = await billingRecords(b, 'late-req');
    expect(recs.map((r) => [r.id, r.amount.amount]).sort()).toEqual([
      ['MODERATOR:early-1', '1.200000'],
      ['MODERATOR:early-2', '0.600000'],
    ]);
    // a re-delivered selection does not rate them again
    await recordSelection(b, { selectionId: 'late-sel', requestId: 'late-req', buyerId: 'late-buyer', carrierId: 'late-carrier' });
    expect(await billingRecords(b, 'late-req')).toHaveLength(2);
  });

  it('rates usage a crash left without billing records when the worker sweeps', async () => {
    // state after a crash between "usage stored" and "billing records stored", a minute ago
    const old = new Date(Date.now() - 120_000);
    await b.models.RatingBatch.create({ _id: 'crashed-batch', state: 'OPEN', createdAt: old });
    await b.models.Usage.create({
      _id: 'MODERATOR:crash-1', recordId: 'crash-1', source: 'MODERATOR', buyerId: 'ing-buyer', carrierId: 'ing-carrier', requestId: 'ing-req', selectionId: 'ing-sel',
      intervalStart: new Date('2026-10-05T10:00:00Z'), intervalEnd: new Date('2026-10-05T10:01:00Z'), serviceType: 'VOICE', quantity: '60', status: 'RATED',
      reportedBy: 'BILLING_AGENT:agent-1', batchId: 'crashed-batch', receivedAt: old,
    });
    expect((await billingRecords(b, 'ing-req')).some((r) => r.id === 'MODERATOR:crash-1')).toBe(false);
    // the re-delivery is a duplicate and is not charged by the ingest itself …
    expect(await ingestOk(b, [rec('crash-1')])).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    // … the sweeper rates it exactly once
    await b.runWorkersOnce();
    await b.runWorkersOnce();
    const recs = (await billingRecords(b, 'ing-req')).filter((r) => r.id === 'MODERATOR:crash-1');
    expect(recs.map((r) => r.amount.amount)).toEqual(['0.600000']);
    expect((await b.models.RatingBatch.findById('crashed-batch').lean())!.state).toBe('DONE');
  });

  it('shows a buyer only its own usage', async () => {
    const buyer = await token('BUYER', 'ing-buyer');
    const r = await gql(b.url, `{ usageRecords(filter: { buyerId: "late-buyer" }) { nodes { recordId } } }`, {}, buyer);
    expect(errorCodes(r)).toEqual(['FORBIDDEN']);
    const own = await gqlOk(b.url, `{ usageRecords(first: 1000) { nodes { buyerId } } }`, {}, buyer);
    expect(new Set(own.usageRecords.nodes.map((n: any) => n.buyerId))).toEqual(new Set(['ing-buyer']));
  });
});
