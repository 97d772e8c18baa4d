// The live competing-bid board, shared by the buyer's and the carrier's request pages: the
// board as the API projects it for the viewer (full for the buyer, anonymised for carriers),
// re-ranked on every bidUpdates event, with the best rate over time.
import { useEffect, useRef, useState } from 'preact/hooks';
import { subscribe } from './api';
import { BestRateChart, type RatePoint } from './charts';
import { compareDecimal, formatDecimal } from './decimal';
import { Announce, TableWrap } from './ui';
import UPDATES_FULL from './graphql/buyer-board.graphql';
import UPDATES_ANON from './graphql/carrier-board.graphql';

export interface BoardEntry {
  rank: number;
  pseudonym: string;
  estimatedCost: string;
  ratePerUnit: string;
  currency: string;
  isViewer: boolean;
  carrier?: { id: string; name: string } | null;
}

export interface Board {
  requestId: string;
  view: 'FULL' | 'ANONYMIZED' | string;
  currency: string | null;
  bidCount: number;
  bestRate: string | null;
  bestEstimatedCost: string | null;
  viewerRank: number | null;
  entries: BoardEntry[];
}

interface BidUpdate {
  kind: 'ACCEPTED' | 'REPLACED' | 'WITHDRAWN';
  at: string;
  bid: { id: string; status: string; carrier?: { id: string; name: string } | null } | null;
  board: Board;
}

export interface HistoricBid {
  status: string;
  submittedAt: string;
  withdrawnAt?: string | null;
  replacedBy?: { submittedAt: string } | null;
  estimatedCost?: { effectiveRate: string } | null;
}

/** Best rate over time rebuilt from every bid of a request (the buyer sees them all). */
export function rateHistory(bids: HistoricBid[], until?: string | null): RatePoint[] {
  const spans = bids
    .filter((b) => b.estimatedCost && b.status !== 'REJECTED' && b.status !== 'PENDING')
    .map((b) => ({
      from: new Date(b.submittedAt).getTime(),
      to: Math.min(
        b.replacedBy ? new Date(b.replacedBy.submittedAt).getTime() : Infinity,
        b.withdrawnAt ? new Date(b.withdrawnAt).getTime() : Infinity,
        until ? new Date(until).getTime() : Infinity,
      ),
      rate: b.estimatedCost!.effectiveRate,
    }));
  // Points where the best rate may change, up to (not at) the close: the board froze there.
  const end = until ? new Date(until).getTime() : Infinity;
  const times = [...new Set(spans.flatMap((s) => [s.from, s.to]).filter((t) => Number.isFinite(t) && t < end))].sort((a, b) => a - b);
  const points: RatePoint[] = [];
  for (const t of times) {
    const active = spans.filter((s) => s.from <= t && t < s.to).map((s) => s.rate);
    const best = active.length ? active.reduce((m, r) => (compareDecimal(r, m) < 0 ? r : m)) : null;
    if (points.length && points[points.length - 1].rate === best) continue;
    points.push({ at: new Date(t).toISOString(), rate: best });
  }
  return points;
}

/**
 * Subscribes to bidUpdates while `live`; returns the current board, the best-rate points and
 * a sentence describing the last change (announced to screen readers).
 */
export function useLiveBoard(requestId: string, initial: Board | null, initialPoints: RatePoint[], full: boolean, live: boolean) {
  const [board, setBoard] = useState<Board | null>(initial);
  const [points, setPoints] = useState<RatePoint[]>(initialPoints);
  const [moves, setMoves] = useState<Record<string, number | 'new'>>({});
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string | null>(null);
  const boardRef = useRef(initial);
  boardRef.current = board;

  useEffect(() => {
    setBoard(initial);
    setPoints(initialPoints);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initial]);

  useEffect(() => {
    if (!live) return;
    return subscribe<{ bidUpdates: BidUpdate }>(
      full ? UPDATES_FULL : UPDATES_ANON,
      { id: requestId },
      ({ bidUpdates: u }) => {
        const before = boardRef.current;
        const prevRanks = new Map((before?.entries ?? []).map((e) => [e.pseudonym, e.rank]));
        const mv: Record<string, number | 'new'> = {};
        for (const e of u.board.entries) {
          const was = prevRanks.get(e.pseudonym);
          if (was === undefined) mv[e.pseudonym] = 'new';
          else if (was !== e.rank) mv[e.pseudonym] = was;
        }
        setMoves(mv);
        setBoard(u.board);
        setPoints((p) => [...p, { at: u.at, rate: u.board.bestRate }]);
        const who = u.bid?.carrier?.name ?? (u.bid ? 'Your bid' : 'A bid');
        const what = u.kind === 'ACCEPTED' ? 'new bid' : u.kind === 'REPLACED' ? 'improved bid' : 'withdrawn bid';
        const rank = full ? '' : u.board.viewerRank ? ` Your rank: ${u.board.viewerRank} of ${u.board.bidCount}.` : '';
        setMessage(`${who}: ${what}. ${u.board.bidCount} ranked bids, best rate ${u.board.bestRate ?? 'none'} ${u.board.currency ?? ''}.${rank}`);
      },
      setError,
    );
  }, [requestId, full, live]);

  return { board, points, moves, message, error };
}

export function BoardTable({ board, moves, full, caption }: { board: Board; moves: Record<string, number | 'new'>; full: boolean; caption: string }) {
  if (board.entries.length === 0) return <p class="muted">No ranked bids yet.</p>;
  return (
    <TableWrap label={caption}>
      <table class="board" data-testid="bid-board">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Bidder</th>
            {full && <th scope="col">Carrier</th>}
            <th scope="col" class="num">
              Rate per unit
            </th>
            <th scope="col" class="num">
              Estimated total
            </th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {board.entries.map((e) => {
            const m = moves[e.pseudonym];
            return (
              <tr key={e.pseudonym} class={`${e.isViewer ? 'mine' : ''} ${m !== undefined ? 'moved' : ''}`} data-rank={e.rank} aria-current={e.isViewer ? 'true' : undefined}>
                <td>{e.rank}</td>
                <td>
                  {e.pseudonym}
                  {e.isViewer && <strong> (you)</strong>}
                </td>
                {full && <td>{e.carrier?.name ?? '—'}</td>}
                <td class="num">
                  {formatDecimal(e.ratePerUnit)} {e.currency}
                </td>
                <td class="num">
                  {formatDecimal(e.estimatedCost)} {e.currency}
                </td>
                <td>
                  {m === 'new' ? (
                    <span class="move move-new">new</span>
                  ) : typeof m === 'number' ? (
                    <span class={`move ${m > e.rank ? 'move-up' : 'move-down'}`}>
                      <span aria-hidden="true">{m > e.rank ? '▲' : '▼'}</span> from {m}
                    </span>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function LiveBoard({
  live,
  full,
  unit,
  closedAt,
}: {
  live: ReturnType<typeof useLiveBoard>;
  full: boolean;
  unit: string;
  /** Once bidding closed, the chart ends there. */
  closedAt?: string | null;
}) {
  const { board, points, moves, message, error } = live;
  if (!board) return null;
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Ranked bids</dt>
          <dd data-testid="bid-count">{board.bidCount}</dd>
        </div>
        <div>
          <dt>Best all-in rate</dt>
          <dd data-testid="best-rate">{board.bestRate ? `${formatDecimal(board.bestRate)} ${board.currency ?? ''}` : '—'}</dd>
        </div>
        <div>
          <dt>Best estimated total</dt>
          <dd>{board.bestEstimatedCost ? `${formatDecimal(board.bestEstimatedCost)} ${board.currency ?? ''}` : '—'}</dd>
        </div>
        {!full && (
          <div class="rank">
            <dt>Your rank</dt>
            <dd data-testid="viewer-rank">{board.viewerRank ?? '—'}</dd>
          </div>
        )}
      </dl>
      {error && (
        <p class="alert alert-warn" role="status">
          {error}
        </p>
      )}
      <Announce text={message} />
      <BoardTable board={board} moves={moves} full={full} caption={full ? 'Bids ranked by estimated total cost' : 'Anonymised board: your bid is marked'} />
      <BestRateChart points={points} currency={board.currency} unit={unit} now={closedAt ?? new Date().toISOString()} />
    </>
  );
}
