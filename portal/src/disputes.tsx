import { useState } from 'preact/hooks';
import { gql } from './api';
import { formatDecimal, formatMoney } from './decimal';
import { href } from './router';
import { Badge, ErrorText, Field, FormAlert, focusField, formErrorOf, Loading, PageTitle, Section, TableWrap, useQuery, When, type FormError } from './ui';
import OPEN_DISPUTE from './graphql/open-dispute.graphql';
import RESOLVE_DISPUTE from './graphql/resolve-dispute.graphql';
import MY_DISPUTES from './graphql/disputes.graphql';

export interface Dispute {
  id: string;
  lineIndex: number | null;
  reason: string;
  amount: { amount: string; currency: string };
  status: 'OPEN' | 'ACCEPTED' | 'REJECTED';
  openedBy: string;
  openedAt: string;
  evidenceCsv: string;
  resolutionReason: string | null;
  resolvedAmount: { amount: string; currency: string } | null;
  adjustmentBillId: string | null;
  history: { at: string; by: string; action: string; reason: string }[];
}

const STATUS_TONE = { OPEN: 'warn', ACCEPTED: 'good', REJECTED: 'bad' } as const;

/**
 * A bill's disputes, and for its buyer or carrier the form to open one. The decision is the
 * billing agent's (resolveDispute in the API); an accepted correction lands on an ADJUSTMENT bill.
 */
export function DisputesSection({
  bill,
  disputes,
  role,
  onOpened,
}: {
  bill: { id: string; kind: string; currency: string; lines: { description: string }[] };
  disputes: Dispute[];
  role: string;
  onOpened: () => void;
}) {
  const mayOpen = (role === 'BUYER' || role === 'CARRIER') && bill.kind !== 'ADVANCE';
  const mayDecide = role === 'BILLING_AGENT' || role === 'ADMIN';
  const [deciding, setDeciding] = useState<string | null>(null);
  const decidingDispute = disputes.find((d) => d.id === deciding && d.status === 'OPEN');
  return (
    <Section title="Disputes">
      {disputes.length === 0 ? (
        <p class="muted">No disputes on this bill.</p>
      ) : (
        <TableWrap label="Disputes">
          <table data-testid="disputes">
            <caption>Disputes of this bill, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Opened</th>
                <th scope="col">Disputed</th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Correction asked ({bill.currency})
                </th>
                <th scope="col">State</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {disputes.map((d) => (
                <tr key={d.id} data-dispute-id={d.id} data-dispute-status={d.status}>
                  <td>
                    <When at={d.openedAt} />
                    <br />
                    <small class="muted">{d.openedBy}</small>
                  </td>
                  <td>{d.lineIndex === null ? 'whole bill' : `line ${d.lineIndex + 1}: ${bill.lines[d.lineIndex]?.description ?? ''}`}</td>
                  <td class="prose">{d.reason}</td>
                  <td class="num" data-testid="dispute-amount">
                    {formatDecimal(d.amount.amount)}
                  </td>
                  <td>
                    <Badge value={d.status} tone={STATUS_TONE[d.status]} />
                  </td>
                  <td class="prose" data-testid="dispute-decision">
                    {d.status === 'OPEN' ? (
                      mayDecide ? (
                        <button type="button" class="secondary" aria-expanded={deciding === d.id} onClick={() => setDeciding(deciding === d.id ? null : d.id)}>
                          Decide
                        </button>
                      ) : (
                        <span class="muted">waiting for the billing agent</span>
                      )
                    ) : (
                      <>
                        {d.resolutionReason}
                        {d.resolvedAmount && <> · {formatMoney(d.resolvedAmount)} accepted</>}
                        {d.adjustmentBillId && (
                          <>
                            {' '}
                            · <a href={href('bills', d.adjustmentBillId)} data-testid="dispute-adjustment">
                              adjustment bill
                            </a>
                          </>
                        )}
                      </>
                    )}
                    <details>
                      <summary>History and evidence</summary>
                      <ol class="plain" data-testid="dispute-history">
                        {d.history.map((h, i) => (
                          <li key={i}>
                            <When at={h.at} /> {h.action.toLowerCase()} by {h.by}: {h.reason}
                          </li>
                        ))}
                      </ol>
                      <a download={`dispute-${d.id}-evidence.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(d.evidenceCsv)}`}>
                        Reconciliation at opening (CSV)
                      </a>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {decidingDispute && (
        <DecideDisputeForm
          key={decidingDispute.id}
          dispute={decidingDispute}
          onDecided={() => {
            setDeciding(null);
            onOpened();
          }}
        />
      )}
      {mayOpen && <OpenDisputeForm bill={bill} onOpened={onOpened} />}
    </Section>
  );
}

/** The billing agent's decision: accepted, the correction (as asked, or the one given) goes to an ADJUSTMENT bill at once. */
function DecideDisputeForm({ dispute, onDecided }: { dispute: Dispute; onDecided: () => void }) {
  const [reason, setReason] = useState('');
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (accept: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await gql(RESOLVE_DISPUTE, { input: { disputeId: dispute.id, accept, reason: reason.trim(), ...(accept && amount.trim() ? { amount: amount.trim() } : {}) } });
      onDecided();
    } catch (err) {
      const fe = formErrorOf(err);
      setError(fe);
      focusField(fe.field);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" noValidate aria-label="Decide the dispute" onSubmit={(e) => e.preventDefault()}>
      <h3>
        Decide the dispute opened by {dispute.openedBy} (correction asked: {formatMoney(dispute.amount)})
      </h3>
      <FormAlert error={error} />
      <Field name="input.reason" label="Reason of the decision" error={error}>
        {(a) => <textarea {...a} required maxLength={2000} rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />}
      </Field>
      <Field name="input.amount" label={`Accepted correction (${dispute.amount.currency})`} hint="Empty: the correction asked for" error={error}>
        {(a) => <input {...a} inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />}
      </Field>
      <button type="button" disabled={busy} onClick={() => void decide(true)}>
        Accept: issue an adjustment bill
      </button>{' '}
      <button type="button" class="secondary" disabled={busy} onClick={() => void decide(false)}>
        Reject
      </button>
    </form>
  );
}

function OpenDisputeForm({ bill, onOpened }: { bill: { id: string; currency: string; lines: { description: string }[] }; onOpened: () => void }) {
  const [line, setLine] = useState('');
  const [reason, setReason] = useState('');
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<FormError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="form"
      noValidate
      aria-label="Open a dispute"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setDone(null);
        try {
          await gql(OPEN_DISPUTE, { input: { billId: bill.id, reason: reason.trim(), amount: amount.trim(), ...(line !== '' ? { lineIndex: Number(line) } : {}) } });
          setDone('Dispute opened; the other party and the billing agent see it.');
          setReason('');
          setAmount('');
          onOpened();
        } catch (err) {
          const fe = formErrorOf(err);
          setError(fe);
          focusField(fe.field);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>Open a dispute</h3>
      <p class="hint">The reconciliation of the bill's period is attached as evidence.</p>
      <FormAlert error={error} />
      {done && (
        <p class="alert alert-info" role="status">
          {done}
        </p>
      )}
      <div class="row">
        <Field name="input.lineIndex" label="Disputed" error={error}>
          {(a) => (
            <select {...a} value={line} onChange={(e) => setLine((e.target as HTMLSelectElement).value)}>
              <option value="">The whole bill</option>
              {bill.lines.map((l, i) => (
                <option key={i} value={String(i)}>
                  Line {i + 1}: {l.description}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="input.amount" label={`Correction (${bill.currency})`} hint="Negative credits the buyer, positive charges it" error={error}>
          {(a) => <input {...a} inputMode="decimal" required value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />}
        </Field>
      </div>
      <Field name="input.reason" label="Reason" error={error}>
        {(a) => <textarea {...a} required maxLength={2000} rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />}
      </Field>
      <button type="submit" disabled={busy}>
        {busy ? 'Opening…' : 'Open dispute'}
      </button>
    </form>
  );
}

type DisputeRow = Pick<Dispute, 'id' | 'lineIndex' | 'reason' | 'amount' | 'status' | 'openedBy' | 'openedAt'> & { billId: string; billNumber: string; buyerId: string; carrierId: string };

/** The signed-in party's disputes (operators: the open ones, to decide), each linking to its bill. */
export function DisputesPage({ role }: { role: string }) {
  const { data, error } = useQuery<{ disputes: DisputeRow[] }>(MY_DISPUTES, {}, role);
  const operator = role !== 'BUYER' && role !== 'CARRIER';
  const list = data ? [...data.disputes].sort((a, b) => b.openedAt.localeCompare(a.openedAt)) : null;
  return (
    <>
      <PageTitle>Disputes</PageTitle>
      <p class="muted">
        {operator
          ? 'Open disputes waiting for a decision (resolveDispute in the API), newest first.'
          : 'Disputes of your bills, opened by you or the other party, newest first. Open one from the bill page.'}
      </p>
      <ErrorText error={error} />
      {!list && !error && <Loading what="disputes" />}
      {list && list.length === 0 && <p class="muted">No disputes.</p>}
      {list && list.length > 0 && (
        <TableWrap label="Disputes">
          <table data-testid="dispute-list">
            <caption>{list.length} dispute{list.length === 1 ? '' : 's'}</caption>
            <thead>
              <tr>
                <th scope="col">Bill</th>
                {role !== 'BUYER' && <th scope="col">Buyer</th>}
                {role !== 'CARRIER' && <th scope="col">Carrier</th>}
                <th scope="col">Opened</th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Correction asked
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-dispute-id={d.id}>
                  <td>
                    <a href={href('bills', d.billId)}>{d.billNumber}</a>
                    {d.lineIndex !== null && <span class="muted"> · line {d.lineIndex + 1}</span>}
                  </td>
                  {role !== 'BUYER' && <td>{d.buyerId}</td>}
                  {role !== 'CARRIER' && <td>{d.carrierId}</td>}
                  <td>
                    <When at={d.openedAt} />
                    <br />
                    <small class="muted">{d.openedBy}</small>
                  </td>
                  <td class="prose">{d.reason}</td>
                  <td class="num">{formatMoney(d.amount)}</td>
                  <td>
                    <Badge value={d.status} tone={STATUS_TONE[d.status]} />
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
