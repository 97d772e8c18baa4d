import { useEffect, useRef } from 'preact/hooks';
import { subscribe } from '../../api';
import { formatMoney } from '../../decimal';
import { href } from '../../router';
import { Badge, PeriodDays, TableWrap, When } from '../../ui';
import BILL_ISSUED from './bill-issued.graphql';

// What the bill pages share with the buyer's, carrier's and agent's pages: the bill row and its table, and bills issued live.
export interface Money {
  amount: string;
  currency: string;
}

export interface BillRow {
  id: string;
  number: string;
  kind: 'ADVANCE' | 'PERIODIC' | 'ADJUSTMENT';
  groupBy: string | null;
  status: string;
  sequence: number;
  issuedAt: string;
  dueAt: string;
  total: Money;
  outstanding: Money;
  period: { start: string; end: string };
  /** The zone the bill is dated in: its buyer's billing profile zone. */
  timeZone: string;
  periodLabel: string | null;
  request: { id: string } | null;
  buyer: { id: string };
  carrier: { id: string; name: string };
}

interface IssuedEvent {
  id: string;
  number: string;
  kind: string;
  request: { id: string } | null;
}

/** Calls `onBill` for every bill issued to the signed-in party (billIssued subscription). */
export function useBillIssued(onBill: (b: IssuedEvent) => void) {
  const cb = useRef(onBill);
  cb.current = onBill;
  useEffect(() => subscribe<{ billIssued: IssuedEvent }>(BILL_ISSUED, {}, (d) => cb.current(d.billIssued)), []);
}

export function BillsTable({ bills, role, caption }: { bills: BillRow[]; role: string; caption: string }) {
  return (
    <TableWrap label={caption}>
      <table data-testid="bills">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Bill</th>
            <th scope="col">Kind</th>
            <th scope="col">Period</th>
            {role !== 'BUYER' && <th scope="col">Buyer</th>}
            {role !== 'CARRIER' && <th scope="col">Carrier</th>}
            <th scope="col">Request</th>
            <th scope="col" class="num">
              Total
            </th>
            <th scope="col" class="num">
              Outstanding
            </th>
            <th scope="col">Status</th>
            <th scope="col">Issued</th>
          </tr>
        </thead>
        <tbody>
          {bills.map((b) => (
            <tr key={b.id} data-bill-number={b.number}>
              <td>
                <a href={href('bills', b.id)}>{b.number}</a>
              </td>
              <td>
                {b.kind.toLowerCase()}
                {b.kind === 'ADJUSTMENT' ? ` #${b.sequence}` : ''}
              </td>
              <td>
                <PeriodDays start={b.period.start} end={b.period.end} zone={b.timeZone} />
              </td>
              {role !== 'BUYER' && <td>{b.buyer.id}</td>}
              {role !== 'CARRIER' && <td>{b.carrier.name}</td>}
              <td>{b.request ? b.request.id : 'several'}</td>
              <td class="num" data-testid="bill-row-total">
                {formatMoney(b.total)}
              </td>
              <td class="num">{formatMoney(b.outstanding)}</td>
              <td>
                <Badge value={b.status} />
              </td>
              <td>
                <When at={b.issuedAt} zone={b.timeZone} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
