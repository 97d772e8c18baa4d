import type { EconomicIncentive } from './incentive';
import type { OfferedQos } from './qos';

/** A bid as it counts in the auction (carried by the log's BID entries). */
export interface ActiveBid {
  bidId: string;
  carrierId: string;
  submittedAt: Date;
  incentive: EconomicIncentive;
  offeredQos?: OfferedQos;
  validUntil?: Date;
}

/**
 * The auction of one request is an append-only log whose entries take consecutive sequence numbers
 * (`<requestId>:<seq>` is the _id, so two writers can never take the same number). Order in the log
 * is the order of events; the state (active bids, currency, whether and when bidding closed) is a
 * fold over it. This needs nothing from the database but an atomic unique insert, which every
 * engine gives across processes, so any number of moderator instances on one database agree on the
 * outcome. Conditional updates (findOneAndUpdate with a status filter) are atomic on MongoDB and on
 * the project's patched FerretDB, but not on FerretDB 1.x as released: they decide no race here.
 */
export type LogKind = 'BID' | 'WITHDRAW' | 'CLOSE' | 'CANCEL';

export interface AuctionLogEntry {
  _id: string;
  requestId: string;
  seq: number;
  kind: LogKind;
  at: Date;
  carrierId?: string;
  bidId?: string;
  /** BID only: what the bid counts with. */
  bid?: ActiveBid;
  /** CLOSE/CANCEL: the instance or party that asked. */
  by?: string;
}

export type EntryEffect = 'ACCEPTED' | 'REPLACED' | 'WITHDRAWN' | 'IGNORED';

export interface AuctionState {
  /** The first CLOSE or CANCEL; everything after it is ignored. */
  terminal: AuctionLogEntry | null;
  /** Fixed by the first counted bid. */
  currency: string | null;
  /** The bids that count, one per carrier, in log order. */
  active: ActiveBid[];
  /** What each entry did, by seq; `replaced` names the bid a REPLACED entry superseded. */
  effects: Map<number, { effect: EntryEffect; replaced?: string; reason?: string }>;
}

export const logEntryId = (requestId: string, seq: number) => `${requestId}:${String(seq).padStart(9, '0')}`;

/** Folds entries (in any order) up to and including `uptoSeq`. */
export function foldLog(entries: readonly AuctionLogEntry[], biddingClosesAt?: Date | null, uptoSeq = Infinity): AuctionState {
  const sorted = [...entries].filter((e) => e.seq <= uptoSeq).sort((a, b) => a.seq - b.seq);
  const state: AuctionState = { terminal: null, currency: null, active: [], effects: new Map() };
  const closes = biddingClosesAt ? new Date(biddingClosesAt).getTime() : Infinity;
  for (const e of sorted) {
    const ignore = (reason: string) => state.effects.set(e.seq, { effect: 'IGNORED', reason });
    if (state.terminal) {
      ignore(`after ${state.terminal.kind}`);
      continue;
    }
    switch (e.kind) {
      case 'CANCEL':
        // Once biddingClosesAt has passed the request is being awarded; it can no longer be cancelled.
        if (new Date(e.at).getTime() >= closes) {
          ignore('after biddingClosesAt');
          break;
        }
        state.terminal = e;
        state.effects.set(e.seq, { effect: 'IGNORED', reason: 'terminal' });
        break;
      case 'CLOSE':
        state.terminal = e;
        state.effects.set(e.seq, { effect: 'IGNORED', reason: 'terminal' });
        break;
      case 'BID': {
        const b = e.bid;
        if (!b) {
          ignore('no bid');
          break;
        }
        if (new Date(e.at).getTime() >= closes) {
          ignore('after biddingClosesAt');
          break;
        }
        if (state.currency && b.incentive.currency !== state.currency) {
          ignore(`currency ${b.incentive.currency} differs from ${state.currency}`);
          break;
        }
        state.currency ??= b.incentive.currency;
        const prev = state.active.find((a) => a.carrierId === b.carrierId);
        state.active = [...state.active.filter((a) => a.carrierId !== b.carrierId), b];
        state.effects.set(e.seq, prev ? { effect: 'REPLACED', replaced: prev.bidId } : { effect: 'ACCEPTED' });
        break;
      }
      case 'WITHDRAW': {
        if (new Date(e.at).getTime() >= closes) {
          ignore('after biddingClosesAt');
          break;
        }
        const cur = state.active.find((a) => a.bidId === e.bidId);
        if (!cur) {
          ignore('bid not active');
          break;
        }
        state.active = state.active.filter((a) => a.bidId !== e.bidId);
        state.effects.set(e.seq, { effect: 'WITHDRAWN' });
        break;
      }
    }
  }
  return state;
}
