// Issue 20 (low–medium): a carrier could put parked records into an unrelated buyer's usageRecords,
// and importerRejections accepted any claimed source and came without any record. A buyer now
// sees usage only of carriers holding a selection of it; importer rows carry the reporter's own
// source and come with at least one record of the file.
import { gql, gqlOk, startBilling, token } from '../../support/harness';
import { ingestOk, recordSelection, voice, type Billing } from './fixtures';

const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
const INGEST = `mutation($records: [UsageRecordInput!]!, $rows: [ImporterRejectionInput!]) { ingestUsage(records: $records, importerRejections: $rows) { accepted parked { reason } } }`;
const USAGE = `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 100) { nodes { recordId carrierId status } } }`;

describe('usage a party may put in front of another', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    await recordSelection(b, { selectionId: 'us-sel', requestId: 'us-req', buyerId: 'us-buyer', carrierId: 'us-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it("a buyer's usage list shows only carriers with a selection of that buyer", async () => {
    const selected = await token('CARRIER', 'us-carrier');
    const stranger = await token('CARRIER', 'us-stranger');
    await ingestOk(b, [voice({ recordId: 'us-own', seconds: 60, buyerId: 'us-buyer', carrierId: 'us-carrier', source: 'CARRIER', start: '2026-11-10T10:00:00Z' })], selected);
    const planted = (await gqlOk(b.url, INGEST, { records: [voice({ recordId: 'us-planted', seconds: 60, buyerId: 'us-buyer', carrierId: 'us-stranger', source: 'CARRIER', start: '2026-11-10T11:00:00Z' })] }, stranger)).ingestUsage;
    expect(planted.parked).toHaveLength(1);
    const buyer = await token('BUYER', 'us-buyer');
    const seen = (await gqlOk(b.url, USAGE, {}, buyer)).usageRecords.nodes;
    expect(seen.map((u: { recordId: string }) => u.recordId)).toEqual(['us-own']);
    expect((await gqlOk(b.url, USAGE, { f: { carrierId: 'us-stranger' } }, buyer)).usageRecords.nodes).toEqual([]);
    // The reporting carrier still sees what it sent, and so do operators.
    expect((await gqlOk(b.url, USAGE, {}, stranger)).usageRecords.nodes.map((u: { recordId: string }) => u.recordId)).toEqual(['us-planted']);
  });

  it("importer rows carry the reporter's own source and come with at least one record", async () => {
    const carrier = await token('CARRIER', 'us-carrier');
    const row = (source: string) => ({ key: `file-1:${source}`, line: 3, source, reason: 'unreadable time', raw: 'x,y,z' });
    const record = voice({ recordId: 'us-file-1', seconds: 30, buyerId: 'us-buyer', carrierId: 'us-carrier', source: 'CARRIER', start: '2026-11-11T10:00:00Z' });
    const foreign = await gql(b.url, INGEST, { records: [record], rows: [row('MEASURING_EQUIPMENT')] }, carrier);
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'importerRejections[0].source' });
    const empty = await gql(b.url, INGEST, { records: [], rows: [row('CARRIER')] }, carrier);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'records' });
    expect(await b.models.Rejected.countDocuments({ reportedBy: 'CARRIER:us-carrier' }).exec()).toBe(0);
    // Its own source, with the file's records: kept.
    const ok = await gql(b.url, INGEST, { records: [record], rows: [row('CARRIER')] }, carrier);
    expect(ok.errors).toBeUndefined();
    const kept = await gqlOk(b.url, `{ rejectedUsage(first: 10) { nodes { source reason } } }`, {}, carrier);
    expect(kept.rejectedUsage.nodes).toEqual([{ source: 'CARRIER', reason: 'line 3: unreadable time' }]);
  });
});
