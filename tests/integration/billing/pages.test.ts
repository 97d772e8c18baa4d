// Newest-first pages with cursors (platform/src/paging.ts): every document exactly once, in order,
// across pages, including documents that share one instant (a batch's rejections do).
import { gql, gqlOk, startBilling } from '../../support/harness';
import { agentToken, ingestOk, voice, type Billing } from './fixtures';
import { sleep } from '../../support/wait';

describe('newest-first pages with cursors', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('pages rejected usage: every record once, newest first, ties by id', async () => {
    const agent = await agentToken();
    // Three batches, 9 refused records each; each batch's share one rejectedAt.
    for (let k = 0; k < 3; k++) {
      await ingestOk(b, Array.from({ length: 9 }, (_, i) => ({ ...voice({ recordId: `pg-${k}-${i}`, seconds: 60 }), quantity: '-1' })));
      await sleep(5); // a later rejectedAt per batch: the time order is what the paging is tested on
    }
    const seen: { recordId: string; rejectedAt: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const d: any = await gqlOk(b.url, `query($after: String) { rejectedUsage(first: 10, after: $after) { nodes { recordId rejectedAt } endCursor } }`, { after }, agent);
      seen.push(...d.rejectedUsage.nodes);
      after = d.rejectedUsage.endCursor;
      if (!after) break;
    }
    expect(seen).toHaveLength(27);
    expect(new Set(seen.map((s) => s.recordId)).size).toBe(27);
    // Newest batch first.
    expect(seen.slice(0, 9).every((s) => s.recordId.startsWith('pg-2-'))).toBe(true);
    expect(seen.slice(18).every((s) => s.recordId.startsWith('pg-0-'))).toBe(true);
    const times = seen.map((s) => Date.parse(s.rejectedAt));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  // Found by the fuzz test on PostgreSQL: `new Date()` took a number and the year -271821.
  it('refuses bill filter dates and cursors that are not ISO 8601 instants, naming the field', async () => {
    const agent = await agentToken();
    const Q = `query($f: BillFilter, $after: String) { bills(filter: $f, after: $after) { nodes { id } } }`;
    const cases: [Record<string, unknown>, string | null, string][] = [
      [{ issuedFrom: 0, issuedTo: '-271821-04-20T00:00:00Z' }, null, 'filter.issuedFrom'],
      [{ issuedTo: '-271821-04-20T00:00:00Z' }, null, 'filter.issuedTo'],
      [{ issuedFrom: '2026-11-01' }, null, 'filter.issuedFrom'],
      [{}, Buffer.from(JSON.stringify(['-271821-04-20T00:00:00Z', 'x'])).toString('base64url'), 'after'],
      [{}, Buffer.from(JSON.stringify([0, 'x'])).toString('base64url'), 'after'],
    ];
    for (const [f, after, field] of cases) {
      const r = await gql(b.url, Q, { f, after }, agent);
      expect({ f, after, code: r.errors?.[0]?.extensions?.code, field: r.errors?.[0]?.extensions?.field }).toEqual({ f, after, code: 'BAD_USER_INPUT', field });
    }
    expect((await gqlOk(b.url, Q, { f: { issuedFrom: '2026-01-01T00:00:00Z', issuedTo: '2027-01-01T00:00:00-05:00' } }, agent)).bills.nodes).toEqual([]);
  });
});
