import { marketBoardOf, validatePageSize } from '../../../moderator-subgraph/src/domain/market';
import { rankBids } from '../../../moderator-subgraph/src/domain/ranking';

const req = {
  _id: 'sr_0123abcd',
  buyerId: 'buyer-secret',
  endUserId: 'end-user-secret',
  carrierIds: ['carrier-a', 'carrier-b'],
  status: 'OPEN',
  // The buyer's free text (issue 20: it reached partners through the market feed).
  routes: [{ origin: '1', destination: '4420', network: 'Acme Ltd, call Bob +44 7700 900123' }, { origin: '1', destination: '33' }],
  serviceType: 'VOICE' as const,
  quantity: '1000',
  unit: 'MINUTE' as const,
  interval: { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-02-01T00:00:00Z') },
  createdAt: new Date('2026-12-01T00:00:00Z'),
  biddingClosesAt: new Date('2026-12-15T00:00:00Z'),
};
const at = new Date('2026-12-02T00:00:00Z');
const bid = (id: string, carrierId: string, rate: string) => ({
  id,
  carrierId,
  submittedAt: at,
  status: 'ACTIVE' as const,
  incentive: { currency: 'GBP', ratePerUnit: rate, tiers: [], tierModel: 'GRADUATED' as const, billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 } },
});

describe('market board (anonymised feed)', () => {
  it('carries the request facts, the best all-in rate and the bid count, and nothing identifying', () => {
    const ranking = rankBids({ quantity: '1000' }, [bid('bid-1', 'carrier-a', '0.012'), bid('bid-2', 'carrier-b', '0.010')] as never, at);
    const board = marketBoardOf(req, ranking);
    expect(board).toEqual({
      requestId: 'sr_0123abcd',
      routes: [{ origin: '1', destination: '4420' }, { origin: '1', destination: '33' }],
      serviceType: 'VOICE',
      quantity: '1000',
      unit: 'MINUTE',
      interval: req.interval,
      openedAt: req.createdAt,
      biddingClosesAt: req.biddingClosesAt,
      currency: 'GBP',
      bestRate: ranking.ranked[0].estimatedCost.effectiveRate,
      bidCount: 2,
    });
    const text = JSON.stringify(board);
    for (const secret of ['Acme', 'Bob', 'buyer-secret', 'end-user-secret', 'carrier-a', 'carrier-b', 'bid-1', 'bid-2', 'Bidder-']) expect(text).not.toContain(secret);
  });

  it('has no rate and no currency before the first bid', () => {
    const board = marketBoardOf(req, { currency: null, ranked: [] });
    expect(board).toMatchObject({ currency: null, bestRate: null, bidCount: 0 });
  });
});

describe('market page size', () => {
  it('accepts 1-200 (default 50) and refuses anything else on `first`', () => {
    expect(validatePageSize(undefined)).toBe(50);
    expect(validatePageSize(null)).toBe(50);
    expect(validatePageSize(1)).toBe(1);
    expect(validatePageSize(200)).toBe(200);
    for (const bad of [0, -1, 201, 1.5]) expect(() => validatePageSize(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'first' }));
  });
});
