// Issue 12, item 6: the selection record tells billing which end users the buyer registered.
import { selectionRecordInput } from '../../../moderator-subgraph/src/services/events';

const sel = (extra: Record<string, unknown>) =>
  ({
    _id: 'sel-1', requestId: 'req-1', buyerId: 'reseller', buyerIsReseller: true, carrierId: 'c', bidId: 'b',
    routes: [{ origin: 'US', destination: '44' }], serviceType: 'VOICE',
    interval: { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') },
    quantity: '100', unit: 'MINUTE', incentive: { currency: 'USD', ratePerUnit: '0.01', tiers: [], tierModel: 'GRADUATED' },
    selectedAt: new Date('2026-09-20T00:00:00Z'), ...extra,
  }) as never;

describe('selection record input', () => {
  it("carries the buyer's registered end users", () => {
    expect(selectionRecordInput(sel({ endUserIds: ['eu-1', 'eu-2'] }))).toMatchObject({ buyerIsReseller: true, endUserIds: ['eu-1', 'eu-2'] });
    expect(selectionRecordInput(sel({ buyerIsReseller: false }))).toMatchObject({ endUserIds: [] });
    expect(selectionRecordInput(sel({}))).not.toHaveProperty('endUserIds');
  });
});
