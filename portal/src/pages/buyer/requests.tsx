import { useEffect, useState } from 'preact/hooks';
import { gql } from '../../api';
import { formatDecimal, formatQuantity } from '../../decimal';
import { href } from '../../router';
import type { Session } from '../../session';
import { Badge, ErrorText, Loading, PageTitle, TableWrap, When } from '../../ui';
import REQUESTS from './my-requests.graphql';

// Requests list

interface RequestRow {
  id: string;
  status: string;
  serviceType: string;
  quantity: string;
  unit: string;
  biddingClosesAt: string;
  createdAt: string;
  routes: { origin: string; destination: string }[];
  interval: { start: string; end: string };
  board: { bidCount: number; bestRate: string | null; currency: string | null };
}

export function BuyerRequests({ session }: { session: Session }) {
  const [data, setData] = useState<RequestRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    gql<{ serviceRequests: RequestRow[] }>(REQUESTS)
      .then((d) => (setData(d.serviceRequests), setError(null)))
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [session.token]);
  return (
    <>
      <PageTitle>Service requests</PageTitle>
      <p>
        <a class="button" href={href('requests', 'new')}>
          New service request
        </a>
      </p>
      <ErrorText error={error} />
      {!data && !error && <Loading what="requests" />}
      {data && data.length === 0 && <p class="muted">You have no service requests yet.</p>}
      {data && data.length > 0 && (
        <TableWrap label="Your service requests">
          <table>
            <caption>Your service requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Routes</th>
                <th scope="col" class="num">
                  Quantity
                </th>
                <th scope="col">Bidding closes</th>
                <th scope="col" class="num">
                  Bids
                </th>
                <th scope="col" class="num">
                  Best rate
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={href('requests', r.id)}>{r.id}</a>
                  </td>
                  <td>
                    <Badge value={r.status} />
                  </td>
                  <td>{r.routes.map((x) => `${x.origin}→${x.destination}`).join(', ')}</td>
                  <td class="num">{formatQuantity(r.quantity, r.unit)}</td>
                  <td>
                    <When at={r.biddingClosesAt} />
                  </td>
                  <td class="num">{r.board.bidCount}</td>
                  <td class="num">{r.board.bestRate ? `${formatDecimal(r.board.bestRate)} ${r.board.currency}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
