import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, onConnected, subscribe } from '../api';
import { BOARD_ANON, LiveBoard, useLiveBoard, type Board } from '../board';
import type { RatePoint } from '../charts';
import { formatDecimal, formatMoney, formatQuantity, perUnit } from '../decimal';
import { href } from '../router';
import { RequestFacts } from '../request-facts';
import type { Session } from '../session';
import { Announce, Badge, ErrorText, Field, FormAlert, focusField, formErrorOf, fromLocalInput, Loading, PageTitle, PeriodDays, Section, TableWrap, When, zonedMonthStart, type FormError } from '../ui';
import { useBillIssued } from './bills';

// ------------------------------------------------------------------------------------------
// Open requests, arriving live
// ------------------------------------------------------------------------------------------

const REQUEST_ROW = `id status serviceType quantity unit biddingClosesAt currency
  routes { origin destination network } interval { start end }
  qosRequirements { minAsrPercent maxPddMs maxLatencyMs maxJitterMs maxLossPercent }
  board { bidCount bestRate currency viewerRank }`;

interface RequestRow {
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
      gql<{ openRequests: RequestRow[] }>(`query OpenRequests { openRequests { ${REQUEST_ROW} } }`)
        .then((d) => (setRows((cur) => mergeRows(d.openRequests, cur ?? [])), setError(null)))
        .catch((e) => setError(e.message));
    void load();
    // Once live (and after every reconnect) read the list again: nothing distributed meanwhile is missed.
    const stopReload = onConnected(() => void load(), true);
    const stop = subscribe<{ requestDistributed: { distributedAt: string; request: RequestRow } }>(
      `subscription Distributed { requestDistributed { distributedAt request { ${REQUEST_ROW} } } }`,
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

// ------------------------------------------------------------------------------------------
// One request: anonymised live board, own rank, bid form
// ------------------------------------------------------------------------------------------

const MY_BID = `id status submittedAt validUntil withdrawnAt
  incentive { currency ratePerUnit tierModel tiers { fromQuantity ratePerUnit } minimumCharge setupFee billingIncrement { initialSeconds subsequentSeconds } dataChargeModel }
  estimatedCost { total effectiveRate currency }`;

const REQUEST = `query CarrierRequest($id: ID!) {
  serviceRequest(id: $id) {
    ${REQUEST_ROW} closedAt
    bids { ${MY_BID} }
    board { ${BOARD_ANON} }
    selection { id selectedAt carrier { id } estimatedCost { total currency } }
  }
}`;

const SUBMIT = `mutation SubmitBid($input: SubmitBidInput!) { submitBid(input: $input) { ${MY_BID} } }`;
const WITHDRAW = `mutation WithdrawBid($id: ID!) { withdrawBid(bidId: $id) { id status withdrawnAt } }`;

interface MyBid {
  id: string;
  status: string;
  submittedAt: string;
  validUntil: string | null;
  withdrawnAt: string | null;
  incentive: {
    currency: string;
    ratePerUnit: string;
    tierModel: string;
    tiers: { fromQuantity: string; ratePerUnit: string }[];
    minimumCharge: string | null;
    setupFee: string | null;
    billingIncrement: { initialSeconds: number; subsequentSeconds: number } | null;
    dataChargeModel: string | null;
  };
  estimatedCost: { total: string; effectiveRate: string; currency: string } | null;
}

interface CarrierReq extends RequestRow {
  closedAt: string | null;
  bids: MyBid[];
  board: Board & RequestRow['board'];
  selection: { id: string; selectedAt: string; carrier: { id: string } | null; estimatedCost: { total: string; currency: string } } | null;
}

export function CarrierRequest({ session, id }: { session: Session; id: string }) {
  const [req, setReq] = useState<CarrierReq | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [since] = useState(() => new Date().toISOString());
  const load = () =>
    gql<{ serviceRequest: CarrierReq | null }>(REQUEST, { id })
      .then((d) => {
        if (!d.serviceRequest) setError(`Request ${id} was not found.`);
        else setReq(d.serviceRequest);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [id, session.token]);
  useEffect(() => onConnected(() => void load()), [id]);
  // A bill for this request means the auction was decided in our favour: look again.
  useBillIssued((b) => {
    if (b.request?.id === id) void load();
  });
  useEffect(() => {
    if (!req || req.status !== 'OPEN') return;
    const ms = new Date(req.biddingClosesAt).getTime() - Date.now() + 1500;
    if (ms > 2 ** 31 - 1) return;
    const t = setTimeout(() => void load(), Math.max(0, ms));
    return () => clearTimeout(t);
  }, [req?.status, req?.biddingClosesAt]);

  const initialPoints: RatePoint[] = useMemo(() => (req ? [{ at: since, rate: req.board.bestRate }] : []), [req?.board]);
  const live = useLiveBoard(id, req?.board ?? null, initialPoints, false, req?.status === 'OPEN');

  if (error) return <ErrorText error={error} />;
  if (!req) return <Loading what="the request" />;
  const active = req.bids.find((b) => b.status === 'ACTIVE') ?? null;
  const won = req.selection?.carrier?.id === session.sub;
  return (
    <>
      <PageTitle>
        Request {req.id} <Badge value={req.status} />
      </PageTitle>
      {req.status !== 'OPEN' && (
        <p class={`alert ${won ? 'alert-info' : 'alert-warn'}`} role="status" data-testid="outcome">
          {req.status === 'AWARDED'
            ? won
              ? `You won this request (estimated total ${formatMoney({ amount: req.selection!.estimatedCost.total, currency: req.selection!.estimatedCost.currency })}). Its bills are under Bills.`
              : 'Bidding closed: another carrier was selected.'
            : req.status === 'CANCELLED'
              ? 'The buyer cancelled this request.'
              : 'Bidding closed without an award.'}
        </p>
      )}
      <Section title="Request">
        <RequestFacts req={req}>
          {req.qosRequirements && (
            <div>
              <dt>Quality required</dt>
              <dd>
                {Object.entries(req.qosRequirements)
                  .filter(([, v]) => v !== null && v !== undefined)
                  .map(([k, v]) => `${k.replace(/([A-Z])/g, ' $1').toLowerCase()} ${v}`)
                  .join(', ') || 'none'}
              </dd>
            </div>
          )}
        </RequestFacts>
      </Section>
      <Section title={req.status === 'OPEN' ? 'Live board' : 'Board (as of the close)'}>
        <LiveBoard live={live} full={false} unit={req.unit} closedAt={req.closedAt} />
      </Section>
      {req.status === 'OPEN' && (
        <Section title={active ? 'Improve your bid' : 'Submit a bid'}>
          <BidForm req={req} active={active} onDone={load} />
        </Section>
      )}
      <Section title="Your bids">
        {req.bids.length === 0 ? (
          <p class="muted">You have not bid on this request.</p>
        ) : (
          <TableWrap label="Your bids">
            <table data-testid="my-bids">
              <caption>Your bids on this request, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Submitted</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Rate
                  </th>
                  <th scope="col" class="num">
                    Estimated total
                  </th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {[...req.bids]
                  .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))
                  .map((b) => (
                    <tr key={b.id}>
                      <td>
                        <When at={b.submittedAt} />
                      </td>
                      <td>
                        <Badge value={b.status} />
                      </td>
                      <td class="num">
                        {formatDecimal(b.incentive.ratePerUnit)} {b.incentive.currency}
                      </td>
                      <td class="num">{b.estimatedCost ? formatMoney({ amount: b.estimatedCost.total, currency: b.estimatedCost.currency }) : '—'}</td>
                      <td>{b.status === 'ACTIVE' && req.status === 'OPEN' && <WithdrawButton bid={b} onDone={load} />}</td>
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

function WithdrawButton({ bid, onDone }: { bid: MyBid; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  if (!confirm)
    return (
      <button type="button" class="secondary small" onClick={() => setConfirm(true)}>
        Withdraw
      </button>
    );
  return (
    <span role="group" aria-label="Confirm withdrawal">
      <button
        type="button"
        class="small"
        onClick={async () => {
          try {
            await gql(WITHDRAW, { id: bid.id });
            onDone();
          } catch (e) {
            setError((e as Error).message);
          }
        }}
      >
        Yes, withdraw
      </button>{' '}
      <button type="button" class="secondary small" onClick={() => setConfirm(false)}>
        Keep
      </button>
      <ErrorText error={error} />
    </span>
  );
}

interface TierRow {
  fromQuantity: string;
  ratePerUnit: string;
}

function BidForm({ req, active, onDone }: { req: CarrierReq; active: MyBid | null; onDone: () => void }) {
  const inc = active?.incentive;
  const [currency, setCurrency] = useState(inc?.currency ?? req.currency ?? 'USD');
  const [rate, setRate] = useState(inc?.ratePerUnit ?? '');
  const [tierModel, setTierModel] = useState(inc?.tierModel ?? 'GRADUATED');
  const [tiers, setTiers] = useState<TierRow[]>(inc?.tiers ?? []);
  const [initialSeconds, setInitial] = useState(String(inc?.billingIncrement?.initialSeconds ?? 60));
  const [subsequentSeconds, setSubsequent] = useState(String(inc?.billingIncrement?.subsequentSeconds ?? 60));
  const [dataChargeModel, setDataModel] = useState(inc?.dataChargeModel ?? (req.unit === 'MBPS' ? 'PERCENTILE_95' : 'VOLUME_GB'));
  const [minimumCharge, setMinimum] = useState(inc?.minimumCharge ?? '');
  const [setupFee, setSetup] = useState(inc?.setupFee ?? '');
  const [validUntil, setValidUntil] = useState('');
  const [qos, setQos] = useState<Record<string, string>>({});
  const [error, setError] = useState<FormError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const voice = req.serviceType === 'VOICE';
  const QOS = [
    { key: 'asrPercent', label: 'Answer-seizure ratio (%)' },
    { key: 'pddMs', label: 'Post-dial delay (ms)' },
    { key: 'latencyMs', label: 'Latency (ms)' },
    { key: 'jitterMs', label: 'Jitter (ms)' },
    { key: 'lossPercent', label: 'Packet loss (%)' },
  ];

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    const offeredQos: Record<string, number> = {};
    for (const q of QOS) {
      const raw = (qos[q.key] ?? '').trim();
      if (!raw) continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        const err = { field: `input.offeredQos.${q.key}`, message: `${q.label} must be a number` };
        setError(err);
        return focusField(err.field);
      }
      offeredQos[q.key] = n;
    }
    const secs = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : v);
    const incentive: Record<string, unknown> = {
      currency: currency.trim().toUpperCase(),
      ratePerUnit: rate.trim(),
      tierModel,
      tiers: tiers.map((t) => ({ fromQuantity: t.fromQuantity.trim(), ratePerUnit: t.ratePerUnit.trim() })),
      ...(voice ? { billingIncrement: { initialSeconds: secs(initialSeconds), subsequentSeconds: secs(subsequentSeconds) } } : { dataChargeModel }),
      ...(minimumCharge.trim() ? { minimumCharge: minimumCharge.trim() } : {}),
      ...(setupFee.trim() ? { setupFee: setupFee.trim() } : {}),
    };
    const bi = incentive.billingIncrement as Record<string, unknown> | undefined;
    for (const k of ['initialSeconds', 'subsequentSeconds'] as const) {
      if (bi && typeof bi[k] !== 'number') {
        const err = { field: `input.incentive.billingIncrement.${k}`, message: 'Seconds must be a whole number from 1 to 3600' };
        setError(err);
        return focusField(err.field);
      }
    }
    setBusy(true);
    try {
      const d = await gql<{ submitBid: MyBid }>(SUBMIT, {
        input: { requestId: req.id, incentive, ...(Object.keys(offeredQos).length ? { offeredQos } : {}), ...(validUntil ? { validUntil: fromLocalInput(validUntil) } : {}) },
      });
      setDone(`Bid of ${d.submitBid.incentive.ratePerUnit} ${d.submitBid.incentive.currency} per ${perUnit(req.unit)} accepted.`);
      onDone();
    } catch (err) {
      const fe = formErrorOf(err);
      setError(fe);
      focusField(fe.field);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate data-testid="bid-form">
      <FormAlert error={error} />
      {done && (
        <p class="alert alert-info" role="status">
          {done}
        </p>
      )}
      <div class="row">
        <Field name="input.incentive.ratePerUnit" label={`Rate per ${perUnit(req.unit)}`} hint="Base rate, a decimal number" error={error}>
          {(a) => <input {...a} required inputMode="decimal" value={rate} onInput={(e) => setRate((e.target as HTMLInputElement).value)} />}
        </Field>
        <Field name="input.incentive.currency" label="Currency" hint={req.currency ? `Bids on this request are in ${req.currency}` : 'ISO 4217, e.g. USD'} error={error}>
          {(a) => <input {...a} required maxLength={3} value={currency} onInput={(e) => setCurrency((e.target as HTMLInputElement).value)} class="short" />}
        </Field>
        {voice ? (
          <>
            <Field name="input.incentive.billingIncrement.initialSeconds" label="First block (s)" error={error}>
              {(a) => <input {...a} inputMode="numeric" value={initialSeconds} onInput={(e) => setInitial((e.target as HTMLInputElement).value)} class="short" />}
            </Field>
            <Field name="input.incentive.billingIncrement.subsequentSeconds" label="Then per (s)" error={error}>
              {(a) => <input {...a} inputMode="numeric" value={subsequentSeconds} onInput={(e) => setSubsequent((e.target as HTMLInputElement).value)} class="short" />}
            </Field>
          </>
        ) : (
          <Field name="input.incentive.dataChargeModel" label="Data charged" error={error}>
            {(a) => (
              <select {...a} value={dataChargeModel} onChange={(e) => setDataModel((e.target as HTMLSelectElement).value)}>
                <option value="VOLUME_GB">Per GB</option>
                <option value="PERCENTILE_95">95th percentile Mbps</option>
              </select>
            )}
          </Field>
        )}
      </div>
      <details>
        <summary>Tiers, minimum charge, setup fee, quality, expiry</summary>
        <fieldset id="f-input-incentive-tiers" tabIndex={-1}>
          <legend>Rate tiers</legend>
          <Field name="input.incentive.tierModel" label="Tier model" error={error}>
            {(a) => (
              <select {...a} value={tierModel} onChange={(e) => setTierModel((e.target as HTMLSelectElement).value)}>
                <option value="GRADUATED">Graduated (each tier's rate for the quantity inside it)</option>
                <option value="VOLUME">Volume (one rate chosen by the total)</option>
              </select>
            )}
          </Field>
          {error?.field === 'input.incentive.tiers' && <small class="field-error">{error.message}</small>}
          {tiers.map((t, i) => (
            <div class="row" key={i}>
              <Field name={`input.incentive.tiers[${i}].fromQuantity`} label={`Tier ${i + 1} from quantity`} error={error}>
                {(a) => <input {...a} inputMode="decimal" value={t.fromQuantity} onInput={(e) => setTiers((ts) => ts.map((x, j) => (j === i ? { ...x, fromQuantity: (e.target as HTMLInputElement).value } : x)))} />}
              </Field>
              <Field name={`input.incentive.tiers[${i}].ratePerUnit`} label={`Tier ${i + 1} rate`} error={error}>
                {(a) => <input {...a} inputMode="decimal" value={t.ratePerUnit} onInput={(e) => setTiers((ts) => ts.map((x, j) => (j === i ? { ...x, ratePerUnit: (e.target as HTMLInputElement).value } : x)))} />}
              </Field>
              <button type="button" class="secondary small" aria-label={`Remove tier ${i + 1}`} onClick={() => setTiers((ts) => ts.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" class="secondary small" onClick={() => setTiers((ts) => [...ts, { fromQuantity: '', ratePerUnit: '' }])}>
            Add a tier
          </button>
        </fieldset>
        <div class="row">
          <Field name="input.incentive.minimumCharge" label="Minimum charge per period" error={error}>
            {(a) => <input {...a} inputMode="decimal" value={minimumCharge} onInput={(e) => setMinimum((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="input.incentive.setupFee" label="Setup fee" error={error}>
            {(a) => <input {...a} inputMode="decimal" value={setupFee} onInput={(e) => setSetup((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="input.validUntil" label="Bid valid until (optional)" error={error}>
            {(a) => <input {...a} type="datetime-local" value={validUntil} onInput={(e) => setValidUntil((e.target as HTMLInputElement).value)} />}
          </Field>
        </div>
        <fieldset>
          <legend>Offered quality of service</legend>
          <div class="row">
            {QOS.map((q) => (
              <Field key={q.key} name={`input.offeredQos.${q.key}`} label={q.label} error={error}>
                {(a) => <input {...a} inputMode="decimal" value={qos[q.key] ?? ''} onInput={(e) => setQos((s) => ({ ...s, [q.key]: (e.target as HTMLInputElement).value }))} />}
              </Field>
            ))}
          </div>
        </fieldset>
      </details>
      <button type="submit" disabled={busy}>
        {busy ? 'Submitting…' : active ? 'Submit improved bid' : 'Submit bid'}
      </button>
    </form>
  );
}

// ------------------------------------------------------------------------------------------
// Receivables and settlement statement
// ------------------------------------------------------------------------------------------

const SETTLEMENT = `query Settlement($id: ID!, $period: IntervalInput!) {
  carrier(id: $id) {
    id name
    receivables { amount currency }
    settlementStatement(period: $period) {
      period { start end } timeZone
      lines { billId billNumber buyerId currency billed receivedDirect receivedViaModerator outstanding }
      totals { currency billed receivedDirect receivedViaModerator outstanding }
    }
  }
}`;

const monthNow = () => new Date().toISOString().slice(0, 7);

/** The carrier's billing profile zone: its statement months run midnight to midnight there. */
const ZONE = `query CarrierZone($id: ID!) { billingProfile(partyId: $id, role: CARRIER) { timeZone } }`;

export function Settlement({ session, month: initialMonth }: { session: Session; month?: string }) {
  const [month, setMonth] = useState(initialMonth && /^\d{4}-\d{2}$/.test(initialMonth) ? initialMonth : monthNow());
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [zone, setZone] = useState<string | null>(null);
  const load = async (m: string) => {
    const [y, mo] = m.split('-').map(Number);
    if (!y || !mo) return setError('Choose a month.');
    let tz = zone;
    if (!tz) {
      tz = await gql<{ billingProfile: { timeZone: string } }>(ZONE, { id: session.sub }).then((d) => d.billingProfile.timeZone, () => 'UTC');
      setZone(tz);
    }
    const start = zonedMonthStart(y, mo, tz);
    const end = zonedMonthStart(y, mo + 1, tz);
    gql(SETTLEMENT, { id: session.sub, period: { start, end } })
      .then((d) => (setData(d.carrier), setError(null)))
      .catch((e) => setError(e.message));
  };
  useEffect(() => void load(month), [session.token]);
  useBillIssued(() => load(month));
  const st = data?.settlementStatement;
  return (
    <>
      <PageTitle>Receivables and settlement</PageTitle>
      <ErrorText error={error} />
      {data && (
        <Section title="Receivables">
          {data.receivables.length === 0 ? (
            <p class="muted">Buyers owe you nothing.</p>
          ) : (
            <ul class="plain big" data-testid="receivables">
              {data.receivables.map((m: any) => (
                <li key={m.currency}>{formatMoney(m)}</li>
              ))}
            </ul>
          )}
        </Section>
      )}
      <Section title="Settlement statement">
        <form
          class="form row"
          onSubmit={(e) => {
            e.preventDefault();
            load(month);
          }}
        >
          <Field name="period" label={`Month (${(zone ?? 'UTC').replace(/_/g, ' ')})`}>
            {(a) => <input {...a} type="month" value={month} onInput={(e) => setMonth((e.target as HTMLInputElement).value)} />}
          </Field>
          <button type="submit">Show statement</button>
        </form>
        {st &&
          (st.lines.length === 0 ? (
            <p class="muted">
              No bills were issued to your buyers in <PeriodDays start={st.period.start} end={st.period.end} zone={st.timeZone} />.
            </p>
          ) : (
            <TableWrap label="Settlement statement">
              <table data-testid="statement">
                <caption>
                  Bills issued <PeriodDays start={st.period.start} end={st.period.end} zone={st.timeZone} />, payments received by the end
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Bill</th>
                    <th scope="col">Buyer</th>
                    <th scope="col" class="num">
                      Billed
                    </th>
                    <th scope="col" class="num">
                      Received directly
                    </th>
                    <th scope="col" class="num">
                      Via the Moderator
                    </th>
                    <th scope="col" class="num">
                      Outstanding
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {st.lines.map((l: any) => (
                    <tr key={l.billId}>
                      <td>
                        <a href={href('bills', l.billId)}>{l.billNumber ?? l.billId}</a>
                      </td>
                      <td>{l.buyerId}</td>
                      <td class="num">{formatMoney({ amount: l.billed, currency: l.currency })}</td>
                      <td class="num">{formatDecimal(l.receivedDirect)}</td>
                      <td class="num">{formatDecimal(l.receivedViaModerator)}</td>
                      <td class="num">{formatDecimal(l.outstanding)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {st.totals.map((t: any) => (
                    <tr key={t.currency}>
                      <th scope="row" colSpan={2}>
                        Total {t.currency}
                      </th>
                      <td class="num">{formatDecimal(t.billed)}</td>
                      <td class="num">{formatDecimal(t.receivedDirect)}</td>
                      <td class="num">{formatDecimal(t.receivedViaModerator)}</td>
                      <td class="num">{formatDecimal(t.outstanding)}</td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </TableWrap>
          ))}
      </Section>
    </>
  );
}
