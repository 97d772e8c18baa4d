// The usage sweep (issue 13, item 6) in process: waiting usage is associated once a selection
// record exists, and usage nobody's selection ever matches is expired with the reason, never billed.
import { sweepUnassociatedUsage } from '../../../billing-subgraph/src/services/usage';
import { gqlOk, startBilling } from '../../support/harness';
import { agentToken, ingestOk, voice, type Billing } from './fixtures';

describe('usage sweep', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false', USAGE_RECOVERY_AFTER_MS: '0', USAGE_UNASSOCIATED_EXPIRY_DAYS: '30' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('associates waiting usage whose selection record was stored without it, and expires what never matches', async () => {
    await ingestOk(b, [voice({ recordId: 'wait-1', seconds: 60, buyerId: 'sw-b', carrierId: 'sw-c' }), voice({ recordId: 'orphan-1', seconds: 60, buyerId: 'sw-b', carrierId: 'nobody' })]);
    // The selection record stored as recordSelection stores it, but its re-association never ran (crashed).
    const { selectionFromInput } = await import('../../../billing-subgraph/src/services/usage');
    const { selectionInput } = await import('./fixtures');
    await b.models.Selection.create(selectionFromInput(selectionInput({ selectionId: 'sw-sel', buyerId: 'sw-b', carrierId: 'sw-c' }), new Date()));

    const first = await sweepUnassociatedUsage(b.deps, new Date(Date.now() + 1000));
    expect(first).toMatchObject({ pairs: 2, associated: 1, expired: 0 });
    expect((await b.models.Usage.findOne({ recordId: 'wait-1' }).lean())!.status).toBe('RATED');

    const later = await sweepUnassociatedUsage(b.deps, new Date(Date.now() + 31 * 86_400_000));
    expect(later).toMatchObject({ pairs: 1, associated: 0, expired: 1 });
    const orphan = await gqlOk(b.url, `{ usageRecords(filter: { status: EXPIRED }) { nodes { recordId status unassociatedReason } } }`, {}, await agentToken());
    expect(orphan.usageRecords.nodes).toEqual([{ recordId: 'orphan-1', status: 'EXPIRED', unassociatedReason: 'EXPIRED after 30 days unassociated (last reason: NO_MATCHING_SELECTION); never billed' }]);
    expect(await b.models.BillingRecord.countDocuments({ carrierId: 'nobody' })).toBe(0);
  });
});
