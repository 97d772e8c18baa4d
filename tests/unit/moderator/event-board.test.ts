import { boardFor, boardForEvent, rankingOf } from '../../../moderator-subgraph/src/services/market';

const SECRET = 'board-secret-for-tests';
const inc = (ratePerUnit: string) => ({ currency: 'USD', ratePerUnit, tierModel: 'GRADUATED' as const, tiers: [] });

/** A bid event as subscribers receive it: JSON, dates as strings. */
function event(rates: string[]) {
  return JSON.parse(
    JSON.stringify({
      requestId: 'req-ev-1',
      kind: 'SUBMITTED',
      bidId: 'bid-0',
      carrierId: 'carrier-0',
      at: '2030-01-05T00:10:00.000Z',
      quantity: '1000',
      activeBids: rates.map((r, i) => ({ bidId: `bid-${i}`, carrierId: `carrier-${i}`, submittedAt: `2030-01-05T00:0${i}:00.000Z`, incentive: inc(r) })),
    }),
  );
}

describe('boardForEvent', () => {
  it('gives every view the board it would get on its own', () => {
    const e = event(['0.012', '0.010', '0.011']);
    const ranking = rankingOf(e, new Date(e.at));
    for (const [view, viewer] of [['FULL', 'buyer-1'], ['CARRIER', 'carrier-1'], ['CARRIER', 'carrier-2'], ['PARTNER', 'partner-1']] as const) {
      expect(boardForEvent(e, view, viewer, SECRET)).toEqual(boardFor(ranking, view, viewer, SECRET, e.requestId));
    }
  });

  it('shares a board between subscribers with the same view of one event, never between carriers or events', () => {
    const e = event(['0.012', '0.010']);
    const full = boardForEvent(e, 'FULL', 'buyer-1', SECRET);
    expect(boardForEvent(e, 'FULL', 'ops-7', SECRET)).toBe(full);
    expect(boardForEvent(e, 'PARTNER', 'partner-1', SECRET)).toBe(boardForEvent(e, 'PARTNER', 'partner-2', SECRET));
    const c0 = boardForEvent(e, 'CARRIER', 'carrier-0', SECRET);
    const c1 = boardForEvent(e, 'CARRIER', 'carrier-1', SECRET);
    expect(c0).not.toBe(c1);
    expect(c0.viewerRank).toBe(2);
    expect(c1.viewerRank).toBe(1);
    // The same content published again is another event: computed afresh.
    expect(boardForEvent(event(['0.012', '0.010']), 'FULL', 'buyer-1', SECRET)).not.toBe(full);
  });
});
