import { useEffect, useState } from 'preact/hooks';
import { gql } from '../../api';
import type { Session } from '../../session';
import { Announce, ErrorText, Field, Loading, PageTitle } from '../../ui';
import { BillsTable, useBillIssued, type BillRow } from './table';
import BILLS from './bills.graphql';

export function BillsPage({ session }: { session: Session }) {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [bills, setBills] = useState<BillRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [news, setNews] = useState('');
  const load = () => {
    const filter = { ...(kind ? { kind } : {}), ...(status ? { status } : {}) };
    return gql<{ bills: { nodes: BillRow[] } }>(BILLS, { filter })
      .then((d) => (setBills(d.bills.nodes), setError(null)))
      .catch((e) => setError(e.message));
  };
  useEffect(() => void load(), [kind, status, session.token]);
  useBillIssued((b) => {
    setNews(`New ${b.kind.toLowerCase()} bill ${b.number}.`);
    void load();
  });
  return (
    <>
      <PageTitle>Bills</PageTitle>
      <Announce text={news} />
      {news && (
        <p class="alert alert-info" role="status">
          {news}
        </p>
      )}
      <form class="card form row" onSubmit={(e) => e.preventDefault()} aria-label="Filter bills">
        <Field name="kind" label="Kind">
          {(a) => (
            <select {...a} value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
              <option value="">All kinds</option>
              <option value="ADVANCE">Advance</option>
              <option value="PERIODIC">Periodic</option>
              <option value="ADJUSTMENT">Adjustment</option>
            </select>
          )}
        </Field>
        <Field name="status" label="Status">
          {(a) => (
            <select {...a} value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
              <option value="">Any status</option>
              <option value="ISSUED">Issued (unpaid)</option>
              <option value="PARTIALLY_PAID">Partly paid</option>
              <option value="PAID">Paid</option>
            </select>
          )}
        </Field>
      </form>
      <ErrorText error={error} />
      {!bills && !error && <Loading what="bills" />}
      {bills && bills.length === 0 && <p class="muted">No bills{kind || status ? ' match the filter' : ' yet'}.</p>}
      {bills && bills.length > 0 && <BillsTable bills={bills} role={session.role} caption={`Bills ${session.role === 'CARRIER' ? 'for service you provided' : 'you may see'}, newest first`} />}
    </>
  );
}
