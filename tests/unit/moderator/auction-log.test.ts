import { foldLog, logEntryId, type AuctionLogEntry } from '../../../moderator-subgraph/src/domain/auction-log';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
let seq = 0;
const inc = (rate: string, currency = 'GBP') => ({ currency, ratePerUnit: rate, tierModel: 'GRADUATED' as const, tiers: [] });
const bidE = (carrierId: string, bidId: string, rate: string, s: number, currency = 'GBP'): AuctionLogEntry => ({
  _id: logEntryId('r', ++seq), requestId: 'r', seq, kind: 'BID', at: at(s), carrierId, bidId,
  bid: { bidId, carrierId, submittedAt: at(s), incentive: inc(rate, currency) },
});
const other = (kind: 'WITHDRAW' | 'CLOSE' | 'CANCEL', s: number, bidId?: string): AuctionLogEntry => ({
  _id: logEntryId('r', ++seq), requestId: 'r', seq, kind, at: at(s), ...(bidId ? { bidId } : {}),
});

describe('foldLog', () => {
  beforeEach(() => (seq = 0));

  it('keeps one bid per carrier, records replacement and withdrawal, and ignores all after the first terminal entry', () => {
    const log = [
      bidE('c1', 'b1', '0.02', 1), // 1 ACCEPTED
      bidE('c2', 'b2', '0.03', 2), // 2 ACCEPTED
      bidE('c1', 'b3', '0.01', 3), // 3 REPLACED b1
      other('WITHDRAW', 4, 'b2'), // 4 WITHDRAWN
      other('WITHDRAW', 5, 'b2'), // 5 ignored: not active
      other('CLOSE', 6), // 6 terminal
      bidE('c2', 'b4', '0.001', 7), // 7 ignored: after CLOSE
      other('CANCEL', 8), // 8 ignored
    ];
    const s = foldLog([...log].reverse());
    expect(s.terminal?.seq).toBe(6);
    expect(s.active.map((a) => a.bidId)).toEqual(['b3']);
    expect(s.currency).toBe('GBP');
    expect([...s.effects.entries()].map(([k, v]) => [k, v.effect, v.replaced ?? null])).toEqual([
      [1, 'ACCEPTED', null], [2, 'ACCEPTED', null], [3, 'REPLACED', 'b1'], [4, 'WITHDRAWN', null],
      [5, 'IGNORED', null], [6, 'IGNORED', null], [7, 'IGNORED', null], [8, 'IGNORED', null],
    ]);
  });

  it('folds only up to a given entry, so a writer sees the state its own entry produced', () => {
    const log = [bidE('c1', 'b1', '0.02', 1), other('CLOSE', 2), bidE('c2', 'b2', '0.01', 3)];
    expect(foldLog(log, null, 1).terminal).toBeNull();
    expect(foldLog(log, null, 1).active.map((a) => a.bidId)).toEqual(['b1']);
    expect(foldLog(log, null, 3).effects.get(3)?.effect).toBe('IGNORED');
  });

  it('fixes the currency with the first counted bid and ignores bids in another', () => {
    const s = foldLog([bidE('c1', 'b1', '1', 1, 'EUR'), bidE('c2', 'b2', '1', 2, 'GBP'), other('WITHDRAW', 3, 'b1'), bidE('c3', 'b3', '1', 4, 'GBP')]);
    expect(s.currency).toBe('EUR');
    expect(s.active).toEqual([]);
    expect(s.effects.get(2)?.effect).toBe('IGNORED');
    expect(s.effects.get(4)?.effect).toBe('IGNORED');
  });

  it('ignores bids and withdrawals made at or after biddingClosesAt even without a CLOSE entry', () => {
    const s = foldLog([bidE('c1', 'b1', '1', 9), bidE('c2', 'b2', '1', 10), other('WITHDRAW', 11, 'b1')], at(10));
    expect(s.active.map((a) => a.bidId)).toEqual(['b1']);
    expect(s.effects.get(2)?.effect).toBe('IGNORED');
    expect(s.effects.get(3)?.effect).toBe('IGNORED');
  });

  it('does not let a CANCEL made at or after biddingClosesAt end the auction; a CLOSE then does', () => {
    const s = foldLog([bidE('c1', 'b1', '1', 1), other('CANCEL', 10), other('CLOSE', 11)], at(10));
    expect(s.terminal?.kind).toBe('CLOSE');
    expect(s.active.map((a) => a.bidId)).toEqual(['b1']);
  });

  it('names log entries so that the unique _id orders like the sequence', () => {
    expect(logEntryId('sr_1', 7)).toBe('sr_1:000000007');
    expect(logEntryId('sr_1', 10) > logEntryId('sr_1', 9)).toBe(true);
  });
});
