import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api';
import { addDecimal as addExact, formatDecimal, formatMoney } from '../decimal';
import { href } from '../router';
import { Badge, ErrorText, Field, FormAlert, focusField, formErrorOf, Loading, PageTitle, Section, TableWrap, When, type FormError } from '../ui';
import { BillsTable, type BillRow } from './bills';
import FEEDS from './agent/feeds.graphql';
import REJECTED from './agent/rejected.graphql';
import POLL from './agent/poll.graphql';
import INGEST from './agent/ingest.graphql';
import UNASSOCIATED from './agent/unassociated.graphql';
import RUN_CYCLE from './agent/bill-run.graphql';

// ------------------------------------------------------------------------------------------
// Ingestion: feeds, a batch upload with its outcome, rejected records with reasons
// ------------------------------------------------------------------------------------------

const EXAMPLE = JSON.stringify(
  [
    {
      recordId: 'cdr-0001',
      source: 'MODERATOR',
      buyerId: 'buyer-acme',
      carrierId: 'carrier-atlas',
      intervalStart: new Date(Date.now() - 3600e3).toISOString(),
      intervalEnd: new Date(Date.now() - 3540e3).toISOString(),
      serviceType: 'VOICE',
      quantity: '60',
      destination: '442071234567',
    },
  ],
  null,
  2,
);

interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; recordId: string | null; field: string | null; reason: string }[];
}

export function Ingestion() {
  const [feeds, setFeeds] = useState<any[] | null>(null);
  const [rejected, setRejected] = useState<any[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState<IngestResult | null>(null);
  const [formError, setFormError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    Promise.all([gql(FEEDS), gql(REJECTED, { first: 100 })])
      .then(([f, r]) => {
        setFeeds(f.usageFeeds);
        setRejected(r.rejectedUsage.nodes);
        setError(null);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), []);

  const totals = (feeds ?? []).reduce((t, f) => ({ a: t.a + f.acceptedTotal, d: t.d + f.duplicatesTotal, r: t.r + f.rejectedTotal }), { a: 0, d: 0, r: 0 });

  const ingest = async (e: Event) => {
    e.preventDefault();
    setFormError(null);
    setResult(null);
    let records: unknown;
    try {
      records = JSON.parse(text);
    } catch (err) {
      setFormError({ field: 'records', message: `Not valid JSON: ${(err as Error).message}` });
      return focusField('records');
    }
    if (!Array.isArray(records)) records = [records];
    setBusy(true);
    try {
      const d = await gql<{ ingestUsage: IngestResult }>(INGEST, { records });
      setResult(d.ingestUsage);
      void load();
    } catch (err) {
      const fe = formErrorOf(err);
      setFormError({ ...fe, field: 'records' });
      focusField('records');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>Usage ingestion</PageTitle>
      <ErrorText error={error} />
      <Section title="Usage feeds" actions={<button type="button" class="secondary small" onClick={() => void load()}>Refresh</button>}>
        {!feeds ? (
          <Loading what="feeds" />
        ) : feeds.length === 0 ? (
          <p class="muted">No usage feeds are registered.</p>
        ) : (
          <>
            <p>
              All feeds: <strong>{totals.a}</strong> accepted, <strong>{totals.d}</strong> duplicates, <strong>{totals.r}</strong> rejected.
            </p>
            <TableWrap label="Usage feeds">
              <table>
                <caption>Registered feeds and their polling state</caption>
                <thead>
                  <tr>
                    <th scope="col">Equipment</th>
                    <th scope="col">URL</th>
                    <th scope="col">Last success</th>
                    <th scope="col">Last error</th>
                    <th scope="col" class="num">
                      Accepted
                    </th>
                    <th scope="col" class="num">
                      Duplicates
                    </th>
                    <th scope="col" class="num">
                      Rejected
                    </th>
                    <th scope="col">Poll</th>
                  </tr>
                </thead>
                <tbody>
                  {feeds.map((f) => (
                    <tr key={f.id}>
                      <td>{f.equipmentId}</td>
                      <td class="wrap">{f.url}</td>
                      <td>
                        <When at={f.lastSuccessAt} />
                      </td>
                      <td>{f.lastError ? `${f.lastError} (${f.consecutiveFailures}×)` : '—'}</td>
                      <td class="num">{f.acceptedTotal}</td>
                      <td class="num">{f.duplicatesTotal}</td>
                      <td class="num">{f.rejectedTotal}</td>
                      <td>
                        <button type="button" class="secondary small" aria-label={`Poll ${f.equipmentId} now`} onClick={() => gql(POLL, { id: f.id }).then(load, (e) => setError(e.message))}>
                          Poll now
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </>
        )}
      </Section>

      <Section title="Submit usage records">
        <form class="form" onSubmit={ingest} noValidate>
          <FormAlert error={formError} />
          <Field
            name="records"
            label="Usage records (JSON array of UsageRecordInput)"
            hint="Each record is validated on its own: bad ones are rejected with a reason and never block the rest; a record sent again is counted as a duplicate."
            error={formError}
          >
            {(a) => <textarea {...a} rows={10} spellcheck={false} class="mono" placeholder={EXAMPLE} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />}
          </Field>
          <button type="submit" disabled={busy || !text.trim()}>
            {busy ? 'Submitting…' : 'Ingest'}
          </button>{' '}
          <button type="button" class="secondary" onClick={() => setText(EXAMPLE)}>
            Fill in an example
          </button>
        </form>
        {result && (
          <div role="status" data-testid="ingest-result">
            <p>
              <strong>{result.accepted}</strong> accepted, <strong>{result.duplicates}</strong> duplicates, <strong>{result.rejected.length}</strong> rejected.
            </p>
            {result.rejected.length > 0 && (
              <ul>
                {result.rejected.map((r) => (
                  <li key={r.index}>
                    Record {r.index + 1}
                    {r.recordId ? ` (${r.recordId})` : ''}
                    {r.field ? `, ${r.field}` : ''}: {r.reason}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </Section>

      <Section title="Rejected records">
        {!rejected ? (
          <Loading what="rejected records" />
        ) : rejected.length === 0 ? (
          <p class="muted">Nothing has been rejected.</p>
        ) : (
          <TableWrap label="Rejected records">
            <table>
              <caption>The latest {rejected.length} refused records, with their reasons</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Record</th>
                  <th scope="col">Source</th>
                  <th scope="col">Field</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Reported by</th>
                </tr>
              </thead>
              <tbody>
                {rejected.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <When at={r.rejectedAt} />
                    </td>
                    <td>{r.recordId ?? `#${r.index + 1} of ${r.batchId}`}</td>
                    <td>{r.source ?? '—'}</td>
                    <td>{r.field ?? '—'}</td>
                    <td>{r.reason}</td>
                    <td>{r.reportedBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}

// ------------------------------------------------------------------------------------------
// Unassociated usage
// ------------------------------------------------------------------------------------------

export function Unassociated() {
  const [rows, setRows] = useState<any[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    gql(UNASSOCIATED, { first: 200 })
      .then((d) => (setRows(d.usageRecords.nodes), setError(null)))
      .catch((e) => setError(e.message));
  useEffect(() => void load(), []);
  return (
    <>
      <PageTitle>Unassociated usage</PageTitle>
      <p class="muted">Usage no selection matches yet. It is associated and rated automatically when its selection record arrives.</p>
      <ErrorText error={error} />
      {!rows && !error && <Loading what="usage" />}
      {rows && rows.length === 0 && <p class="muted">All usage is associated.</p>}
      {rows && rows.length > 0 && (
        <TableWrap label="Unassociated usage">
          <table data-testid="unassociated">
            <caption>
              {rows.length} unassociated record{rows.length === 1 ? '' : 's'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Source</th>
                <th scope="col">Buyer</th>
                <th scope="col">Carrier</th>
                <th scope="col">Request</th>
                <th scope="col">Started</th>
                <th scope="col" class="num">
                  Quantity
                </th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>{r.recordId}</td>
                  <td>{r.source.replace(/_/g, ' ').toLowerCase()}</td>
                  <td>{r.buyerId}</td>
                  <td>{r.carrierId}</td>
                  <td>{r.requestId ?? '—'}</td>
                  <td>
                    <When at={r.intervalStart} />
                  </td>
                  <td class="num">
                    {formatDecimal(r.quantity)} {r.serviceType === 'VOICE' ? 's' : 'B'}
                  </td>
                  <td>
                    <Badge value={r.unassociatedReason ?? 'UNASSOCIATED'} tone="warn" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

// ------------------------------------------------------------------------------------------
// Bill runs
// ------------------------------------------------------------------------------------------

const lastMonth = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
};

export function BillRuns({ month: m0, grouping }: { month?: string; grouping?: string }) {
  const [month, setMonth] = useState(m0 && /^\d{4}-\d{2}$/.test(m0) ? m0 : lastMonth());
  const [groupBy, setGroupBy] = useState(grouping === 'BUYER_CARRIER' ? 'BUYER_CARRIER' : 'BUYER_REQUEST');
  const [run, setRun] = useState<{ issued: number; bills: BillRow[]; month: string } | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <PageTitle>Bill runs</PageTitle>
      <p class="muted">
        A run issues the bills of a billing month from the unbilled rated usage, each buyer's month in its own time zone from its cycle day (UTC calendar months for buyers without a
        billing profile). It is safe to repeat: the same bills come back, and usage that arrived since becomes adjustment bills.
      </p>
      <form
        class="card form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          const [y, mo] = month.split('-').map(Number);
          if (!y || !mo) {
            setError({ field: 'period', message: 'Choose the month to bill.' });
            return focusField('period');
          }
          setBusy(true);
          try {
            const d = await gql<{ runBillingCycle: { issued: number; bills: BillRow[] } }>(RUN_CYCLE, { period: month, groupBy });
            setRun({ ...d.runBillingCycle, month });
          } catch (err) {
            const fe = formErrorOf(err);
            const field = fe.field?.startsWith('period') ? 'period' : fe.field;
            setError({ ...fe, field });
            focusField(field);
          } finally {
            setBusy(false);
          }
        }}
      >
        <FormAlert error={error} />
        <div class="row">
          <Field name="period" label="Billing month" error={error}>
            {(a) => <input {...a} type="month" required value={month} onInput={(e) => setMonth((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="groupBy" label="One bill per" error={error}>
            {(a) => (
              <select {...a} value={groupBy} onChange={(e) => setGroupBy((e.target as HTMLSelectElement).value)}>
                <option value="BUYER_REQUEST">Buyer and request</option>
                <option value="BUYER_CARRIER">Buyer and carrier</option>
              </select>
            )}
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Run billing'}
        </button>
      </form>
      {run && (
        <Section title={`Run for ${run.month}`}>
          <p role="status" data-testid="bill-run-result">
            {run.issued} new bill{run.issued === 1 ? '' : 's'} issued; {run.bills.length} bill{run.bills.length === 1 ? '' : 's'} in the period
            {run.bills.length ? `, ${summarise(run.bills)}` : ''}.
          </p>
          {run.bills.length > 0 && <BillsTable bills={run.bills} role="BILLING_AGENT" caption={`Bills of ${run.month}`} />}
          <p>
            <a href={href('bills')}>All bills</a>
          </p>
        </Section>
      )}
    </>
  );
}

function summarise(bills: BillRow[]): string {
  const by = new Map<string, string[]>();
  for (const b of bills) by.set(b.total.currency, [...(by.get(b.total.currency) ?? []), b.total.amount]);
  return [...by.entries()].map(([currency, amounts]) => `${formatMoney({ amount: amounts.reduce((a, x) => addExact(a, x), '0'), currency })} in total`).join(', ');
}

