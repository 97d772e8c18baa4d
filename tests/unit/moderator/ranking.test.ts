import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import type { EconomicIncentive } from '../../../moderator-subgraph/src/domain/incentive';
import {
  type Bid,
  rankBids,
  requestCurrency,
  validateBidCurrency,
} from '../../../moderator-subgraph/src/domain/ranking';

const NOW = new Date('2030-01-10T00:00:00Z');
const at = (min: number) => new Date(Date.UTC(2030, 0, 5, 0, min));

function inc(ratePerUnit: string, patch: Partial<EconomicIncentive> = {}): EconomicIncentive {
  return { currency: 'USD', ratePerUnit, tierModel: 'GRADUATED', tiers: [], ...patch };
}

function bid(id: string, carrierId: string, rate: string, minute: number, patch: Partial<Bid> = {}): Bid {
  return { id, carrierId, submittedAt: at(minute), incentive: inc(rate), status: 'ACTIVE', ...patch };
}

const request = { quantity: '1000' };

describe('rankBids', () => {
  it('orders by estimated total, ties to the earlier bid, then to the smaller id', () => {
    const bids = [
      bid('b1', 'c1', '0.010', 1), // 10
      bid('b2', 'c2', '0.009', 5), // 9, later
      bid('b3', 'c3', '0.009', 3), // 9, earlier
      bid('b5', 'c5', '0.0095', 7, { incentive: inc('0.008', { setupFee: '1.5' }) }), // 8 + 1.5 = 9.5
      bid('b4', 'c4', '0.009', 5), // 9, same time as b2, larger id
    ];
    const r = rankBids(request, bids, NOW);
    expect(r.ranked.map((x) => [x.rank, x.bid.id, x.estimatedCost.total])).toEqual([
      [1, 'b3', '9'],
      [2, 'b2', '9'],
      [3, 'b4', '9'],
      [4, 'b5', '9.5'],
      [5, 'b1', '10'],
    ]);
    expect(r.excluded).toEqual([]);
    expect(r.currency).toBe('USD');
  });

  it('ranks on the whole cost, not the headline rate', () => {
    // Cheaper base rate but a minimum charge that dominates at this quantity.
    const bids = [
      bid('cheap-rate', 'c1', '0.001', 1, { incentive: inc('0.001', { minimumCharge: '50' }) }), // 50
      bid('plain', 'c2', '0.02', 2), // 20
    ];
    expect(rankBids(request, bids, NOW).ranked.map((x) => x.bid.id)).toEqual(['plain', 'cheap-rate']);
  });

  it('excludes withdrawn, replaced, expired and superseded bids', () => {
    const bids = [
      bid('w', 'c1', '0.001', 1, { status: 'WITHDRAWN' }),
      bid('r', 'c2', '0.001', 2, { status: 'REPLACED' }),
      bid('r2', 'c2', '0.005', 3),
      bid('exp', 'c3', '0.001', 4, { validUntil: NOW }), // validUntil == now is expired
      bid('live', 'c4', '0.006', 5, { validUntil: new Date(NOW.getTime() + 1) }),
      bid('old', 'c5', '0.001', 6),
      bid('new', 'c5', '0.007', 7), // two ACTIVE bids from one carrier: only the latest counts
    ];
    const r = rankBids(request, bids, NOW);
    expect(r.ranked.map((x) => x.bid.id)).toEqual(['r2', 'live', 'new']);
    expect(r.excluded.map((x) => [x.bid.id, x.reason])).toEqual([
      ['w', 'WITHDRAWN'],
      ['r', 'REPLACED'],
      ['exp', 'EXPIRED'],
      ['old', 'SUPERSEDED'],
    ]);
  });

  it('excludes bids that fail the QoS requirements, with reasons', () => {
    const r = rankBids(
      { quantity: '1000', qosRequirements: { minAsrPercent: 40 } },
      [
        bid('low-asr', 'c1', '0.001', 1, { offeredQos: { asrPercent: 35 } }),
        bid('silent', 'c2', '0.002', 2),
        bid('ok', 'c3', '0.02', 3, { offeredQos: { asrPercent: 40 } }),
      ],
      NOW,
    );
    expect(r.ranked.map((x) => x.bid.id)).toEqual(['ok']);
    expect(r.excluded).toEqual([
      expect.objectContaining({ reason: 'QOS', reasons: ['asrPercent 35 < required 40'] }),
      expect.objectContaining({ reason: 'QOS', reasons: ['asrPercent not stated (required >= 40)'] }),
    ]);
  });

  it("fixes the request's currency by its first bid, even a withdrawn one", () => {
    const bids = [
      bid('eur', 'c2', '0.001', 2, { incentive: inc('0.001', { currency: 'EUR' }) }),
      bid('first', 'c1', '0.05', 1, { status: 'WITHDRAWN' }),
      bid('usd', 'c3', '0.02', 3),
    ];
    expect(requestCurrency(bids)).toBe('USD');
    const r = rankBids(request, bids, NOW);
    expect(r.ranked.map((x) => x.bid.id)).toEqual(['usd']);
    expect(r.excluded.map((x) => [x.bid.id, x.reason])).toEqual([
      ['eur', 'CURRENCY_MISMATCH'],
      ['first', 'WITHDRAWN'],
    ]);
  });

  it('returns an empty ranking for no bids', () => {
    expect(rankBids(request, [], NOW)).toEqual({ currency: null, ranked: [], excluded: [] });
  });
});

describe('validateBidCurrency', () => {
  it('accepts the first currency and the same one again', () => {
    expect(() => validateBidCurrency(undefined, 'EUR')).not.toThrow();
    expect(() => validateBidCurrency(null, 'EUR')).not.toThrow();
    expect(() => validateBidCurrency('EUR', 'EUR')).not.toThrow();
  });

  it('rejects another currency naming the field', () => {
    let err: unknown;
    try {
      validateBidCurrency('EUR', 'USD');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.incentive.currency' });
  });
});
