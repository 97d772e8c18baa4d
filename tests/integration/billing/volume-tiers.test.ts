// Issue 14, item 1: for VOLUME tiers the Moderator ranks a bid by all-units pricing of the
// requested quantity; the bill of a period that used exactly that quantity charges the same,
// although its records were rated one by one as they arrived (the early ones at dearer tiers).
import { estimateCost } from '../../../moderator-subgraph/src/domain/cost';
import { validateIncentive } from '../../../moderator-subgraph/src/domain/incentive';
import { Dec } from '../../../pricing/src';
import { startBilling } from '../../support/harness';
import { agentToken, billingRecords, GENERATE, ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';
import { gqlOk } from '../../support/harness';

const incentive = {
  currency: 'USD',
  ratePerUnit: '0.02',
  tierModel: 'VOLUME',
  tiers: [
    { fromQuantity: '100', ratePerUnit: '0.015' },
    { fromQuantity: '1000', ratePerUnit: '0.01' },
  ],
};

describe('VOLUME tiers: the ranking cost is the billed amount for the same usage', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('bills 1,500 minutes arriving as 30 calls at the tier the period total reached, as the Moderator ranked them', async () => {
    const ranked = estimateCost(validateIncentive(incentive, 'VOICE'), '1500');
    expect(ranked.usage).toBe('15');

    await recordSelection(b, { selectionId: 'vol-sel', requestId: 'vol-req', buyerId: 'vol-buyer', carrierId: 'vol-carrier', quantity: '1500', incentive });
    const calls = Array.from({ length: 30 }, (_, i) =>
      voice({ recordId: `vol-${i}`, seconds: 3000, buyerId: 'vol-buyer', carrierId: 'vol-carrier', requestId: 'vol-req', start: `2026-10-${String(2 + i).padStart(2, '0')}T08:00:00Z` }),
    );
    // One call at a time: each record is rated against the running total as it arrives.
    for (const c of calls) expect(await ingestOk(b, [c])).toMatchObject({ accepted: 1 });
    const rated = await billingRecords(b, 'vol-req');
    // Provisionally the first call was rated at the base rate, the next ones at tier 1, the last at tier 2.
    expect(new Set(rated.flatMap((r) => r.tierIndexes))).toEqual(new Set([0, 1, 2]));
    const provisional = rated.reduce((acc, r) => acc.plus(r.amount.amount), new Dec(0));
    expect(provisional.gt(ranked.usage)).toBe(true);

    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills;
    const periodic = run.bills.find((x: any) => x.kind === 'PERIODIC');
    const usage = periodic.lines.filter((l: any) => l.kind === 'USAGE');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ quantity: '1500', unit: 'MINUTE', tierIndex: 2, ratePerUnit: '0.01' });
    expect(usage[0].description).toContain("VOLUME tier 2 (from 1000 MINUTE) reached by the period's total of 1500 MINUTE");
    // The billed usage equals the ranking cost of the same quantity.
    expect(new Dec(usage[0].amount).eq(ranked.usage)).toBe(true);
  });
});
