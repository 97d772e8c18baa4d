import { useEffect, useState } from 'preact/hooks';
import { gql } from '../../api';
import { UsagePerDayChart, type DayBar } from '../../charts';
import { DisputesSection, type Dispute } from '../../disputes';
import { ReconciliationSection } from '../../reconciliation';
import { addDecimal, formatDecimal, formatMoney, formatQuantity } from '../../decimal';
import { href } from '../../router';
import type { Session } from '../../session';
import { Badge, ErrorText, Loading, PageTitle, PeriodDays, Section, TableWrap, When } from '../../ui';
import type { BillRow, Money } from './table';
import BILL from './bill.graphql';
import RECORDS from './bill-records.graphql';
import { PaymentForm } from './payment-form';

// One bill

interface BillLine {
  kind: string;
  description: string;
  requestId: string | null;
  endUserId: string | null;
  quantity: string | null;
  unit: string | null;
  ratePerUnit: string | null;
  tierIndex: number | null;
  amount: string;
}

export interface FullBill extends Omit<BillRow, 'buyer'> {
  /** By name on the bill page: the bill's carrier sees its counterparty's name, operators every buyer's. */
  buyer: { id: string; name: string };
  recordCount: number;
  lines: BillLine[];
  endUserSubtotals: { endUserId: string | null; label: string; amount: string }[];
  subtotal: Money;
  paid: Money;
  documentUrls: { html: string; pdf: string; csv: string; expiresAt: string };
  payments: { id: string; amount: Money; path: string; reference: string | null; recordedBy: string; receivedAt: string }[];
  deliveries: { recipientRole: string; channel: string; path: string; state: string; attempts: number; deliveredAt: string | null }[];
  disputedAmount: Money;
  disputes: Dispute[];
}

/** Usage per UTC day of the records on this bill (read from the requests' billing records). */
async function usagePerDay(bill: FullBill): Promise<{ bars: DayBar[]; unit: string }> {
  const requestIds = [...new Set([bill.request?.id, ...bill.lines.map((l) => l.requestId)].filter((x): x is string => !!x))];
  const perDay = new Map<string, DayBar>();
  let unit = bill.lines.find((l) => l.unit)?.unit ?? '';
  for (const requestId of requestIds) {
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const d: { billingRecords: { nodes: { billId: string | null; unit: string; billableQuantity: string; amount: { amount: string }; usage: { intervalStart: string } | null; ratedAt: string }[]; endCursor: string | null } } =
        await gql(RECORDS, { requestId, after });
      for (const r of d.billingRecords.nodes) {
        if (r.billId !== bill.id) continue;
        unit ||= r.unit;
        const day = (r.usage?.intervalStart ?? r.ratedAt).slice(0, 10);
        const amount = r.amount.amount;
        const bar = perDay.get(day) ?? { day, quantity: '0', amount: '0' };
        perDay.set(day, { day, quantity: addDecimal(bar.quantity, r.billableQuantity), amount: addDecimal(bar.amount, amount) });
      }
      after = d.billingRecords.endCursor;
      if (!after) break;
    }
  }
  // Days without usage between the first and the last are drawn as empty, so the axis is true time.
  const days = [...perDay.keys()].sort();
  const bars: DayBar[] = [];
  if (days.length) {
    const first = Date.parse(days[0] + 'T00:00:00Z');
    const last = Date.parse(days[days.length - 1] + 'T00:00:00Z');
    const fill = (last - first) / 86400e3 <= 92;
    for (let t = first; t <= last; t += 86400e3) {
      const day = new Date(t).toISOString().slice(0, 10);
      const bar = perDay.get(day);
      if (bar) bars.push(bar);
      else if (fill) bars.push({ day, quantity: '0', amount: '0' });
    }
  }
  return { bars, unit: unit || 'unit' };
}

export function BillPage({ session, id }: { session: Session; id: string }) {
  const [bill, setBill] = useState<FullBill | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [usage, setUsage] = useState<{ bars: DayBar[]; unit: string } | null>(null);
  const [usageError, setUsageError] = useState<string | null>(null);
  const load = () =>
    gql<{ bill: FullBill | null }>(BILL, { id })
      .then((d) => {
        if (!d.bill) return setError(`Bill ${id} was not found, or it is not yours to see.`);
        setBill(d.bill);
        setError(null);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [id, session.token]);
  useEffect(() => {
    if (!bill || bill.kind === 'ADVANCE') return;
    usagePerDay(bill)
      .then(setUsage)
      .catch((e) => setUsageError(e.message));
  }, [bill?.id]);

  if (error) return <ErrorText error={error} />;
  if (!bill) return <Loading what="the bill" />;
  const canPay = bill.outstanding.amount !== '0' && !/^0(\.0+)?$/.test(bill.outstanding.amount) && ['BUYER', 'BILLING_AGENT', 'ADMIN'].includes(session.role);
  return (
    <>
      <PageTitle>
        Bill <span data-testid="bill-number">{bill.number}</span> <Badge value={bill.status} />
      </PageTitle>
      <Section title="Summary">
        <dl class="facts">
          <div>
            <dt>Kind</dt>
            <dd>
              {bill.kind.toLowerCase()}
              {bill.groupBy ? ` (${bill.groupBy === 'BUYER_REQUEST' ? 'per request' : 'per carrier'})` : ''}
              {bill.kind === 'ADJUSTMENT' ? `, adjustment #${bill.sequence}` : ''}
            </dd>
          </div>
          <div>
            <dt>Period</dt>
            <dd>
              <PeriodDays start={bill.period.start} end={bill.period.end} zone={bill.timeZone} />
              {bill.timeZone !== 'UTC' && <span class="muted"> ({bill.timeZone.replace(/_/g, ' ')} time)</span>}
            </dd>
          </div>
          <div>
            <dt>Buyer</dt>
            <dd data-testid="bill-buyer">{bill.buyer.name}</dd>
          </div>
          <div>
            <dt>Carrier</dt>
            <dd>{bill.carrier.name}</dd>
          </div>
          {bill.request && (
            <div>
              <dt>Request</dt>
              <dd>{session.role === 'BUYER' || session.role === 'CARRIER' ? <a href={href('requests', bill.request.id)}>{bill.request.id}</a> : bill.request.id}</dd>
            </div>
          )}
          <div>
            <dt>Total</dt>
            <dd class="big" data-testid="bill-total">
              {formatMoney(bill.total)}
            </dd>
          </div>
          <div>
            <dt>Paid</dt>
            <dd>{formatMoney(bill.paid)}</dd>
          </div>
          <div>
            <dt>Outstanding</dt>
            <dd data-testid="bill-outstanding">{formatMoney(bill.outstanding)}</dd>
          </div>
          {bill.disputes.length > 0 && (
            <div>
              <dt>Disputed (open)</dt>
              <dd data-testid="bill-disputed">{formatMoney(bill.disputedAmount)}</dd>
            </div>
          )}
          <div>
            <dt>Issued / due</dt>
            <dd>
              <When at={bill.issuedAt} dateOnly zone={bill.timeZone} /> / <When at={bill.dueAt} dateOnly zone={bill.timeZone} />
            </dd>
          </div>
        </dl>
        <p class="downloads">
          <a class="button secondary" href={bill.documentUrls.html} target="_blank" rel="noopener noreferrer">
            View posted bill
          </a>{' '}
          <a class="button secondary" href={bill.documentUrls.pdf} data-testid="bill-pdf" download>
            Download PDF
          </a>{' '}
          <a class="button secondary" href={bill.documentUrls.csv} data-testid="bill-csv" download>
            Download CSV
          </a>
          <small class="hint">
            {' '}
            Links valid until <When at={bill.documentUrls.expiresAt} />.
          </small>
        </p>
      </Section>

      <Section title="Lines">
        <TableWrap label="Bill lines">
          <table data-testid="bill-lines">
            <caption>
              {bill.lines.length} line{bill.lines.length === 1 ? '' : 's'}, {bill.recordCount} billing record{bill.recordCount === 1 ? '' : 's'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Kind</th>
                <th scope="col" class="num">
                  Quantity
                </th>
                <th scope="col" class="num">
                  Rate
                </th>
                <th scope="col" class="num">
                  Amount ({bill.total.currency})
                </th>
              </tr>
            </thead>
            <tbody>
              {bill.lines.map((l, i) => (
                <tr key={i}>
                  <td>
                    {l.description}
                    {l.endUserId ? <span class="muted"> · {l.endUserId}</span> : ''}
                  </td>
                  <td>{l.kind.replace(/_/g, ' ').toLowerCase()}</td>
                  <td class="num">{l.quantity ? formatQuantity(l.quantity, l.unit ?? '') : ''}</td>
                  <td class="num">{l.ratePerUnit ? formatDecimal(l.ratePerUnit) : ''}</td>
                  <td class="num">{formatDecimal(l.amount)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Subtotal (exact)
                </th>
                <td class="num">{formatDecimal(bill.subtotal.amount)}</td>
              </tr>
              <tr>
                <th scope="row" colSpan={4}>
                  Total
                </th>
                <td class="num">
                  <strong>{formatDecimal(bill.total.amount)}</strong>
                </td>
              </tr>
            </tfoot>
          </table>
        </TableWrap>
        {bill.endUserSubtotals.length > 0 && (
          <TableWrap label="Subtotals per end user">
            <table>
              <caption>Subtotals per end user</caption>
              <tbody>
                {bill.endUserSubtotals.map((s) => (
                  <tr key={s.label}>
                    <th scope="row">{s.label}</th>
                    <td class="num">{formatDecimal(s.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>

      {bill.kind !== 'ADVANCE' && (
        <Section title="Usage per day">
          <ErrorText error={usageError} />
          {usage ? <UsagePerDayChart bars={usage.bars} unit={usage.unit} currency={bill.total.currency} /> : !usageError && <Loading what="usage" />}
        </Section>
      )}

      {bill.kind !== 'ADVANCE' && <ReconciliationSection buyerId={bill.buyer.id} carrierId={bill.carrier.id} period={bill.period} requestId={bill.request?.id ?? null} />}

      {(bill.kind !== 'ADVANCE' || bill.disputes.length > 0) && (
        <DisputesSection bill={{ id: bill.id, kind: bill.kind, currency: bill.total.currency, lines: bill.lines }} disputes={bill.disputes} role={session.role} onOpened={load} />
      )}

      <Section title="Payments">
        {bill.payments.length === 0 ? (
          <p class="muted">No payments recorded.</p>
        ) : (
          <TableWrap label="Payments">
            <table>
              <caption>Payments on this bill</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Path</th>
                  <th scope="col">Reference</th>
                  <th scope="col">Recorded by</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {bill.payments.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <When at={p.receivedAt} />
                    </td>
                    <td>{p.path === 'DIRECT' ? 'direct to carrier' : 'via the Moderator'}</td>
                    <td>{p.reference ?? ''}</td>
                    <td>{p.recordedBy}</td>
                    <td class="num">{formatMoney(p.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {canPay && <PaymentForm bill={bill} onPaid={load} />}
      </Section>

      {bill.deliveries.length > 0 && (
        <Section title="Deliveries">
          <ul class="plain">
            {bill.deliveries.map((d, i) => (
              <li key={i}>
                {d.recipientRole.toLowerCase()} · {d.channel.toLowerCase().replace(/_/g, ' ')} ({d.path.toLowerCase().replace(/_/g, ' ')}): <Badge value={d.state} />
                {d.deliveredAt && (
                  <>
                    {' '}
                    <When at={d.deliveredAt} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}
