import { createHmac } from 'node:crypto';
import { buildBoardView, pseudonymFor } from '../../../moderator-subgraph/src/domain/board';
import type { EconomicIncentive } from '../../../moderator-subgraph/src/domain/incentive';
import { type Bid, rankBids } from '../../../moderator-subgraph/src/domain/ranking';

const SECRET = 'board-secret-for-tests';
const REQ = 'req-123';
const NOW = new Date('2030-01-10T00:00:00Z');

function inc(ratePerUnit: string): EconomicIncentive {
  return { currency: 'GBP', ratePerUnit, tierModel: 'GRADUATED', tiers: [], setupFee: '2' };
}

// Ids chosen to be easy to spot in serialized output.
const bids: Bid[] = [
  { id: 'bid-alpha-91', carrierId: 'carrier-alpha-7731', submittedAt: new Date('2030-01-05T00:01:00Z'), incentive: inc('0.012'), status: 'ACTIVE', offeredQos: { asrPercent: 61 } },
  { id: 'bid-bravo-92', carrierId: 'carrier-bravo-8842', submittedAt: new Date('2030-01-05T00:02:00Z'), incentive: inc('0.010'), status: 'ACTIVE' },
  { id: 'bid-charlie-93', carrierId: 'carrier-charlie-9953', submittedAt: new Date('2030-01-05T00:03:00Z'), incentive: inc('0.011'), status: 'ACTIVE' },
  { id: 'bid-delta-94', carrierId: 'carrier-delta-1064', submittedAt: new Date('2030-01-05T00:04:00Z'), incentive: inc('0.001'), status: 'WITHDRAWN' },
];
const ranking = rankBids({ quantity: '1000' }, bids, NOW);

describe('pseudonymFor', () => {
  it('is a keyed, per-request, stable hash', () => {
    const p = pseudonymFor(SECRET, REQ, 'carrier-alpha-7731');
    const mac = createHmac('sha256', SECRET).update(`${REQ}\u0000carrier-alpha-7731`).digest('hex');
    expect(p).toBe(`Bidder-${mac.slice(0, 6).toUpperCase()}`);
    expect(p).toMatch(/^Bidder-[0-9A-F]{6}$/);
    expect(pseudonymFor(SECRET, REQ, 'carrier-alpha-7731')).toBe(p);
    expect(pseudonymFor(SECRET, 'req-124', 'carrier-alpha-7731')).not.toBe(p);
    expect(pseudonymFor('other-secret', REQ, 'carrier-alpha-7731')).not.toBe(p);
    expect(pseudonymFor(SECRET, REQ, 'carrier-bravo-8842')).not.toBe(p);
    expect(p).not.toContain('alpha');
    expect(() => pseudonymFor('', REQ, 'x')).toThrow();
  });
});

describe('buildBoardView', () => {
  it('shows the buyer everything about ranked bids', () => {
    const v = buildBoardView(ranking, { role: 'BUYER', partyId: 'buyer-1' }, SECRET, REQ);
    if (v.kind !== 'FULL') throw new Error('expected FULL');
    // totals: bravo 10 + 2 = 12, charlie 13, alpha 14
    expect(v.entries.map((e) => [e.rank, e.carrierId, e.estimatedCost.total])).toEqual([
      [1, 'carrier-bravo-8842', '12'],
      [2, 'carrier-charlie-9953', '13'],
      [3, 'carrier-alpha-7731', '14'],
    ]);
    expect(v.bestEstimatedCost).toBe('12');
    expect(v.bestRate).toBe('0.012');
    expect(v.entries[2].offeredQos).toEqual({ asrPercent: 61 });
    expect(buildBoardView(ranking, { role: 'ADMIN', partyId: 'a' }, SECRET, REQ).kind).toBe('FULL');
  });

  it("never shows a carrier another carrier's identity", () => {
    const v = buildBoardView(ranking, { role: 'CARRIER', partyId: 'carrier-charlie-9953' }, SECRET, REQ);
    if (v.kind !== 'ANONYMOUS') throw new Error('expected ANONYMOUS');
    expect(v).toEqual({
      kind: 'ANONYMOUS',
      requestId: REQ,
      currency: 'GBP',
      bidCount: 3,
      bestRate: '0.012',
      bestEstimatedCost: '12',
      viewerRank: 2,
      entries: [
        { pseudonym: pseudonymFor(SECRET, REQ, 'carrier-bravo-8842'), rank: 1, estimatedCost: '12', ratePerUnit: '0.010', currency: 'GBP', isViewer: false },
        { pseudonym: pseudonymFor(SECRET, REQ, 'carrier-charlie-9953'), rank: 2, estimatedCost: '13', ratePerUnit: '0.011', currency: 'GBP', isViewer: true },
        { pseudonym: pseudonymFor(SECRET, REQ, 'carrier-alpha-7731'), rank: 3, estimatedCost: '14', ratePerUnit: '0.012', currency: 'GBP', isViewer: false },
      ],
    });
    const json = JSON.stringify(v);
    for (const other of ['alpha', 'bravo', 'delta', '7731', '8842', '1064', 'bid-']) expect(json).not.toContain(other);
  });

  it('never shows a partner any identity, and gives it no rank', () => {
    const v = buildBoardView(ranking, { role: 'PARTNER', partyId: 'carrier-bravo-8842' }, SECRET, REQ);
    if (v.kind !== 'ANONYMOUS') throw new Error('expected ANONYMOUS');
    expect(v.viewerRank).toBeNull();
    expect(v.entries.every((e) => !e.isViewer)).toBe(true);
    const json = JSON.stringify(v);
    for (const id of ['carrier-', 'alpha', 'bravo', 'charlie', 'delta', 'bid-']) expect(json).not.toContain(id);
  });

  it('gives a carrier without a ranked bid no rank', () => {
    const v = buildBoardView(ranking, { role: 'CARRIER', partyId: 'carrier-delta-1064' }, SECRET, REQ);
    expect(v.kind === 'ANONYMOUS' && v.viewerRank).toBeNull();
    expect(JSON.stringify(v)).not.toContain('carrier-');
  });

  it('describes an empty board', () => {
    const v = buildBoardView(rankBids({ quantity: '1' }, [], NOW), { role: 'CARRIER', partyId: 'c' }, SECRET, REQ);
    expect(v).toEqual({
      kind: 'ANONYMOUS', requestId: REQ, currency: null, bidCount: 0, bestRate: null, bestEstimatedCost: null, viewerRank: null, entries: [],
    });
  });
});
