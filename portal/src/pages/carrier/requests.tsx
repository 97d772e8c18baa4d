import { useEffect, useState } from 'preact/hooks';
import { gql, onConnected, subscribe } from '../../api';
import { formatQuantity } from '../../decimal';
import { href } from '../../router';
import type { Session } from '../../session';
import { Announce, ErrorText, Loading, PageTitle, TableWrap, When } from '../../ui';
import OPEN_REQUESTS from './open-requests.graphql';
import DISTRIBUTED from './distributed.graphql';

// Open requests, arriving live

export interface RequestRow {
  id: string;
  status: string;
  serviceType: string;
  quantity: string;
  unit: string;
  biddingClosesAt: string;
  currency: string | null;
  routes: { origin: string; destination: string; network: string | null }[];
  interval: { start: string; end: string };
  qosRequirements: Record<string, number | null> | null;
  board: { bidCount: number; bestRate: string | null; currency: string | null; viewerRank: number | null };
}

export function CarrierRequests({ session }: { session: Session }) {
  const [rows, setRows] = useState<RequestRow[] | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [news, setNews] = useState('');
  useEffect(() => {
    const load = () =>
      gql<{ openRequests: RequestRow[] }>(OPEN_REQUESTS)
        .then((d) => (setRows((cur) => mergeRows(d.openRequests, cur ?? [])), setError(null)))
        .catch((e) => setError(e.message));
    void load();
    // Once live (and after every reconnect) read the list again: nothing distributed meanwhile is missed.
    const stopReload = onConnected(() => void load(), true);
    const stop = subscribe<{ requestDistributed: { distributedAt: string; request: RequestRow } }>(
      DISTRIBUTED,
      {},
      ({ requestDistributed: d }) => {
        setRows((cur) => mergeRows([d.request], cur ?? []));
        setFresh((f) => new Set(f).add(d.request.id));
        setNews(`New request ${d.request.id}: ${d.request.routes.map((r) => r.destination).join(', ')}, ${formatQuantity(d.request.quantity, d.request.unit)}.`);
      },
      setLiveError,
    );
    return () => {
      stopReload();
      stop();
    };
  }, [session.token]);
  return (
    <>
      <PageTitle>Open requests</PageTitle>
      <p class="muted">Requests distributed to you appear here as they arrive; bid on them until bidding closes.</p>
      <Announce text={news} />
      <ErrorText error={error} />
      {liveError && (
        <p class="alert alert-warn" role="status">
          {liveError}
        </p>
      )}
      {!rows && !error && <Loading what="open requests" />}
      {rows && rows.length === 0 && <p class="muted">No open requests for your coverage right now. New ones appear here as they are distributed.</p>}
      {rows && rows.length > 0 && (
        <TableWrap label="Open requests">
          <table data-testid="open-requests">
            <caption>Open requests, closing soonest first</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Routes</th>
                <th scope="col" class="num">
                  Quantity
                </th>
                <th scope="col">Service</th>
                <th scope="col">Bidding closes</th>
                <th scope="col" class="num">
                  Bids
                </th>
                <th scope="col" class="num">
                  Your rank
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} class={fresh.has(r.id) ? 'moved' : ''} data-request-id={r.id}>
                  <td>
                    <a href={href('requests', r.id)}>{r.id}</a> {fresh.has(r.id) && <span class="move move-new">new</span>}
                  </td>
                  <td>{r.routes.map((x) => `${x.origin}→${x.destination}`).join(', ')}</td>
                  <td class="num">{formatQuantity(r.quantity, r.unit)}</td>
                  <td>
                    <When at={r.interval.start} dateOnly /> – <When at={r.interval.end} dateOnly />
                  </td>
                  <td>
                    <When at={r.biddingClosesAt} />
                  </td>
                  <td class="num">{r.board.bidCount}</td>
                  <td class="num">{r.board.viewerRank ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

function mergeRows(incoming: RequestRow[], current: RequestRow[]): RequestRow[] {
  const byId = new Map(current.map((r) => [r.id, r]));
  for (const r of incoming) byId.set(r.id, r);
  return [...byId.values()].filter((r) => r.status === 'OPEN').sort((a, b) => a.biddingClosesAt.localeCompare(b.biddingClosesAt));
}
