import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, onConnected } from '../api';
import { BOARD_FULL, LiveBoard, rateHistory, useLiveBoard, type Board, type HistoricBid } from '../board';
import { formatDecimal, formatMoney, formatQuantity, perUnit } from '../decimal';
import { href, navigate } from '../router';
import { RequestFacts } from '../request-facts';
import type { Session } from '../session';
import {
  Badge,
  ErrorText,
  Field,
  FormAlert,
  focusField,
  formErrorOf,
  fromLocalInput,
  Loading,
  PageTitle,
  Section,
  TableWrap,
  toLocalInput,
  When,
  type FormError,
} from '../ui';
import { BillsTable, BILL_ROW, useBillIssued, type BillRow } from './bills';

// ------------------------------------------------------------------------------------------
// Requests list
// ------------------------------------------------------------------------------------------

const REQUESTS = `query MyRequests {
  serviceRequests(first: 50) {
    id status serviceType quantity unit biddingClosesAt createdAt
    routes { origin destination }
    interval { start end }
    board { bidCount bestRate currency }
  }
}`;

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

// ------------------------------------------------------------------------------------------
// New request
// ------------------------------------------------------------------------------------------

const CREATE = `mutation CreateRequest($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`;
const UNITS: Record<string, string[]> = { VOICE: ['MINUTE'], DATA: ['GB', 'MBPS'] };
const QOS: { key: string; label: string; hint: string }[] = [
  { key: 'minAsrPercent', label: 'Minimum answer-seizure ratio (%)', hint: '0–100' },
  { key: 'maxPddMs', label: 'Maximum post-dial delay (ms)', hint: '' },
  { key: 'maxLatencyMs', label: 'Maximum latency (ms)', hint: '' },
  { key: 'maxJitterMs', label: 'Maximum jitter (ms)', hint: '' },
  { key: 'maxLossPercent', label: 'Maximum packet loss (%)', hint: '0–100' },
];

interface RouteRow {
  origin: string;
  destination: string;
  network: string;
}

export function NewRequest({ session }: { session: Session }) {
  const defaults = useMemo(() => {
    const hour = 3600e3;
    const base = Math.ceil(Date.now() / hour) * hour;
    return { closes: toLocalInput(new Date(base + 24 * hour)), start: toLocalInput(new Date(base + 48 * hour)), end: toLocalInput(new Date(base + 31 * 24 * hour)) };
  }, []);
  const [routes, setRoutes] = useState<RouteRow[]>([{ origin: '1', destination: '', network: '' }]);
  const [serviceType, setServiceType] = useState('VOICE');
  const [unit, setUnit] = useState('MINUTE');
  const [quantity, setQuantity] = useState('');
  const [start, setStart] = useState(defaults.start);
  const [end, setEnd] = useState(defaults.end);
  const [closes, setCloses] = useState(defaults.closes);
  const [qos, setQos] = useState<Record<string, string>>({});
  const [endUserId, setEndUserId] = useState('');
  const [endUsers, setEndUsers] = useState<{ id: string; name: string }[]>([]);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    gql<{ buyer: { isReseller: boolean; endUsers: { id: string; name: string }[] } | null }>(`query MyEndUsers($id: ID!) { buyer(id: $id) { id isReseller endUsers { id name } } }`, {
      id: session.sub,
    })
      .then((d) => setEndUsers(d.buyer?.isReseller ? d.buyer.endUsers : []))
      .catch(() => setEndUsers([]));
  }, [session.sub]);

  const setRoute = (i: number, k: keyof RouteRow, v: string) => setRoutes((rs) => rs.map((r, j) => (j === i ? { ...r, [k]: v } : r)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const qosRequirements: Record<string, number> = {};
    for (const q of QOS) {
      const raw = (qos[q.key] ?? '').trim();
      if (!raw) continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        const err = { field: `input.qosRequirements.${q.key}`, message: `${q.label} must be a number` };
        setError(err);
        return focusField(err.field);
      }
      qosRequirements[q.key] = n;
    }
    const input: Record<string, unknown> = {
      routes: routes.map((r) => ({ origin: r.origin.trim(), destination: r.destination.trim(), ...(r.network.trim() ? { network: r.network.trim() } : {}) })),
      serviceType,
      quantity: quantity.trim(),
      unit,
      interval: { start: fromLocalInput(start), end: fromLocalInput(end) },
      biddingClosesAt: fromLocalInput(closes),
      ...(Object.keys(qosRequirements).length ? { qosRequirements } : {}),
      ...(endUserId ? { endUserId } : {}),
    };
    setBusy(true);
    try {
      const d = await gql<{ createServiceRequest: { id: string } }>(CREATE, { input });
      navigate('requests', d.createServiceRequest.id);
    } catch (err) {
      const fe = formErrorOf(err);
      setError(fe);
      focusField(fe.field);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>New service request</PageTitle>
      <p class="muted">
        The exchange distributes the request to every carrier covering its destinations; bids arrive on the request's live board until bidding closes.
      </p>
      <form class="card form" onSubmit={submit} noValidate aria-describedby="new-request-note">
        <FormAlert error={error} />
        <fieldset id="f-input-routes" tabIndex={-1}>
          <legend>Routes</legend>
          {error?.field === 'input.routes' && <small class="field-error">{error.message}</small>}
          {routes.map((r, i) => (
            <div class="row route-row" key={i}>
              <Field name={`input.routes[${i}].origin`} label={`Route ${i + 1} origin`} error={error}>
                {(a) => <input {...a} required value={r.origin} onInput={(e) => setRoute(i, 'origin', (e.target as HTMLInputElement).value)} inputMode="numeric" />}
              </Field>
              <Field name={`input.routes[${i}].destination`} label={`Route ${i + 1} destination`} hint="E.164 prefix, e.g. 4420" error={error}>
                {(a) => <input {...a} required value={r.destination} onInput={(e) => setRoute(i, 'destination', (e.target as HTMLInputElement).value)} inputMode="numeric" />}
              </Field>
              <Field name={`input.routes[${i}].network`} label={`Route ${i + 1} network (optional)`} error={error}>
                {(a) => <input {...a} value={r.network} onInput={(e) => setRoute(i, 'network', (e.target as HTMLInputElement).value)} />}
              </Field>
              {routes.length > 1 && (
                <button type="button" class="secondary small" onClick={() => setRoutes((rs) => rs.filter((_, j) => j !== i))} aria-label={`Remove route ${i + 1}`}>
                  Remove
                </button>
              )}
            </div>
          ))}
          <button type="button" class="secondary small" onClick={() => setRoutes((rs) => [...rs, { origin: rs[rs.length - 1]?.origin ?? '', destination: '', network: '' }])}>
            Add a route
          </button>
        </fieldset>
        <div class="row">
          <Field name="input.serviceType" label="Service" error={error}>
            {(a) => (
              <select
                {...a}
                value={serviceType}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  setServiceType(v);
                  setUnit(UNITS[v][0]);
                }}
              >
                <option value="VOICE">Voice</option>
                <option value="DATA">Data</option>
              </select>
            )}
          </Field>
          <Field name="input.quantity" label="Quantity" hint="A positive decimal number" error={error}>
            {(a) => <input {...a} required inputMode="decimal" value={quantity} onInput={(e) => setQuantity((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="input.unit" label="Unit" error={error}>
            {(a) => (
              <select {...a} value={unit} onChange={(e) => setUnit((e.target as HTMLSelectElement).value)}>
                {UNITS[serviceType].map((u) => (
                  <option key={u} value={u}>
                    {u === 'MINUTE' ? 'Minutes' : u === 'GB' ? 'Gigabytes' : 'Mbps (committed)'}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <div class="row">
          <Field name="input.interval.start" label="Service starts" error={error}>
            {(a) => <input {...a} type="datetime-local" required value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="input.interval.end" label="Service ends" error={error}>
            {(a) => <input {...a} type="datetime-local" required value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field name="input.biddingClosesAt" label="Bidding closes" hint="In the future, not after the service starts" error={error}>
            {(a) => <input {...a} type="datetime-local" required value={closes} onInput={(e) => setCloses((e.target as HTMLInputElement).value)} />}
          </Field>
        </div>
        {endUsers.length > 0 && (
          <Field name="input.endUserId" label="For end user" error={error}>
            {(a) => (
              <select {...a} value={endUserId} onChange={(e) => setEndUserId((e.target as HTMLSelectElement).value)}>
                <option value="">My own use</option>
                {endUsers.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <details>
          <summary>Quality-of-service requirements (optional)</summary>
          <div class="row">
            {QOS.map((q) => (
              <Field key={q.key} name={`input.qosRequirements.${q.key}`} label={q.label} hint={q.hint || undefined} error={error}>
                {(a) => <input {...a} inputMode="decimal" value={qos[q.key] ?? ''} onInput={(e) => setQos((s) => ({ ...s, [q.key]: (e.target as HTMLInputElement).value }))} />}
              </Field>
            ))}
          </div>
        </details>
        <p id="new-request-note" class="hint">
          Times are in your local time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}).
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit request'}
        </button>
      </form>
    </>
  );
}

// ------------------------------------------------------------------------------------------
// One request: live board, close, selection, bills
// ------------------------------------------------------------------------------------------

const SELECTION = `selection { id selectedAt carrier { id name } interval { start end }
  incentive { currency ratePerUnit tierModel tiers { fromQuantity ratePerUnit } minimumCharge setupFee }
  estimatedCost { total effectiveRate currency } }`;

const REQUEST = `query BuyerRequest($id: ID!) {
  serviceRequest(id: $id) {
    id status serviceType quantity unit biddingClosesAt createdAt closedAt currency distributionCount
    routes { origin destination network }
    interval { start end }
    endUserId
    qosRequirements { minAsrPercent maxPddMs maxLatencyMs maxJitterMs maxLossPercent }
    distributions { distributedAt carrier { id name } }
    bids { id status submittedAt withdrawnAt replacedBy { submittedAt } carrier { id name } incentive { currency ratePerUnit } estimatedCost { total effectiveRate } }
    board { ${BOARD_FULL} }
    ${SELECTION}
    bills { ${BILL_ROW} }
  }
}`;

const CLOSE = `mutation CloseBidding($id: ID!) { closeBidding(requestId: $id) { id status closedAt ${SELECTION} } }`;
const CANCEL = `mutation CancelRequest($id: ID!) { cancelServiceRequest(id: $id) { id status closedAt } }`;

interface Selection {
  id: string;
  selectedAt: string;
  carrier: { id: string; name: string } | null;
  interval: { start: string; end: string };
  incentive: { currency: string; ratePerUnit: string; tierModel: string; tiers: { fromQuantity: string; ratePerUnit: string }[]; minimumCharge: string | null; setupFee: string | null };
  estimatedCost: { total: string; effectiveRate: string; currency: string };
}

interface FullRequest {
  id: string;
  status: string;
  serviceType: string;
  quantity: string;
  unit: string;
  biddingClosesAt: string;
  createdAt: string;
  closedAt: string | null;
  currency: string | null;
  distributionCount: number;
  routes: { origin: string; destination: string; network: string | null }[];
  interval: { start: string; end: string };
  endUserId: string | null;
  qosRequirements: Record<string, number | null> | null;
  distributions: { distributedAt: string; carrier: { id: string; name: string } | null }[] | null;
  bids: (HistoricBid & { id: string; carrier: { id: string; name: string } | null; incentive: { currency: string; ratePerUnit: string } })[];
  board: Board;
  selection: Selection | null;
  bills: BillRow[];
}

export function BuyerRequest({ session, id }: { session: Session; id: string }) {
  const [req, setReq] = useState<FullRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<'close' | 'cancel' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    gql<{ serviceRequest: FullRequest | null }>(REQUEST, { id })
      .then((d) => {
        if (!d.serviceRequest) setError(`Request ${id} was not found.`);
        else setReq(d.serviceRequest);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [id, session.token]);
  // After a lost connection, read the request again (events missed meanwhile).
  useEffect(() => onConnected(() => void load()), [id]);
  // Bills for this request (the advance bill right after the award) arrive live.
  useBillIssued((b) => {
    if (b.request?.id === id) void load();
  });
  // When bidding closes on schedule, look again.
  useEffect(() => {
    if (!req || req.status !== 'OPEN') return;
    const ms = new Date(req.biddingClosesAt).getTime() - Date.now() + 1500;
    if (ms > 2 ** 31 - 1) return;
    const t = setTimeout(() => void load(), Math.max(0, ms));
    return () => clearTimeout(t);
  }, [req?.status, req?.biddingClosesAt]);

  const history = useMemo(() => (req ? rateHistory(req.bids, req.closedAt) : []), [req?.bids, req?.closedAt]);
  const live = useLiveBoard(id, req?.board ?? null, history, true, req?.status === 'OPEN');

  const act = async (what: 'close' | 'cancel') => {
    setBusy(true);
    setActionError(null);
    try {
      if (what === 'close') {
        const d = await gql<{ closeBidding: Partial<FullRequest> }>(CLOSE, { id });
        setReq((r) => (r ? { ...r, ...d.closeBidding } : r));
      } else {
        await gql(CANCEL, { id });
      }
      setConfirming(null);
      await load();
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (error) return <ErrorText error={error} />;
  if (!req) return <Loading what="the request" />;
  const sel = req.selection;
  return (
    <>
      <PageTitle>
        Request {req.id} <Badge value={req.status} />
      </PageTitle>
      <p data-testid="request-status" class="sr-only">
        Status: {req.status}
      </p>
      <Section title="Request">
        <RequestFacts req={req}>
          <div>
            <dt>Distributed to</dt>
            <dd>
              {req.distributionCount} carrier{req.distributionCount === 1 ? '' : 's'}
              {req.distributions?.length ? `: ${req.distributions.map((d) => d.carrier?.name ?? '?').join(', ')}` : ''}
            </dd>
          </div>
          {req.endUserId && (
            <div>
              <dt>End user</dt>
              <dd>{req.endUserId}</dd>
            </div>
          )}
        </RequestFacts>
        {req.status === 'OPEN' && (
          <div class="actions">
            {confirming ? (
              <div class="confirm" role="group" aria-labelledby="confirm-q">
                <p id="confirm-q">
                  {confirming === 'close'
                    ? `Close bidding now and select the top-ranked bid${live.board?.entries[0]?.carrier ? ` (${live.board.entries[0].carrier.name})` : ''}?`
                    : 'Cancel this request? Carriers can no longer bid.'}
                </p>
                <button type="button" disabled={busy} onClick={() => void act(confirming)}>
                  {confirming === 'close' ? 'Yes, close bidding' : 'Yes, cancel the request'}
                </button>{' '}
                <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(null)}>
                  No
                </button>
              </div>
            ) : (
              <>
                <button type="button" onClick={() => setConfirming('close')}>
                  Close bidding now
                </button>{' '}
                <button type="button" class="secondary" onClick={() => setConfirming('cancel')}>
                  Cancel request
                </button>
              </>
            )}
            <ErrorText error={actionError} />
          </div>
        )}
      </Section>

      {sel && (
        <Section title="Selected carrier" id="selection-h">
          <dl class="facts" data-testid="selection">
            <div>
              <dt>Carrier</dt>
              <dd data-testid="selected-carrier">{sel.carrier?.name ?? sel.carrier?.id ?? '—'}</dd>
            </div>
            <div>
              <dt>Rate</dt>
              <dd>
                {formatDecimal(sel.incentive.ratePerUnit)} {sel.incentive.currency} per {perUnit(req.unit)}
                {sel.incentive.tiers.length > 0 && ` (${sel.incentive.tierModel.toLowerCase()} tiers: ${sel.incentive.tiers.map((t) => `from ${t.fromQuantity} at ${t.ratePerUnit}`).join(', ')})`}
              </dd>
            </div>
            <div>
              <dt>Estimated total</dt>
              <dd>{formatMoney({ amount: sel.estimatedCost.total, currency: sel.estimatedCost.currency })}</dd>
            </div>
            {sel.incentive.minimumCharge && (
              <div>
                <dt>Minimum charge per period</dt>
                <dd>{formatMoney({ amount: sel.incentive.minimumCharge, currency: sel.incentive.currency })}</dd>
              </div>
            )}
            {sel.incentive.setupFee && (
              <div>
                <dt>Setup fee</dt>
                <dd>{formatMoney({ amount: sel.incentive.setupFee, currency: sel.incentive.currency })}</dd>
              </div>
            )}
            <div>
              <dt>Selected</dt>
              <dd>
                <When at={sel.selectedAt} />
              </dd>
            </div>
          </dl>
          <p>
            <a href={href('routing', sel.interval.start)}>Routing table at the start of service</a>
          </p>
        </Section>
      )}

      <Section title={req.status === 'OPEN' ? 'Live bid board' : 'Bid board (as of the close)'}>
        <LiveBoard live={live} full unit={req.unit} closedAt={req.closedAt} />
      </Section>

      <Section title="Bills for this request">
        {req.bills.length === 0 ? (
          <p class="muted">{sel ? 'The advance bill is on its way from the billing computer…' : 'No bills yet.'}</p>
        ) : (
          <BillsTable bills={req.bills} role={session.role} caption="Bills for this request" />
        )}
      </Section>
    </>
  );
}

// ------------------------------------------------------------------------------------------
// Routing table
// ------------------------------------------------------------------------------------------

const ROUTING = `query Routing($at: DateTime) {
  routingTable(at: $at) { buyerId at csv entries { prefix carrierId carrier { id name } ratePerUnit currency intervalStart intervalEnd requestId } }
}`;
const ROUTE_CALL = `query RouteCall($destination: String!, $at: DateTime) {
  routeCall(destination: $destination, at: $at) { destination at matchedPrefix carrier { id name } ratePerUnit currency reason }
}`;

export function RoutingTablePage({ at }: { at?: string }) {
  const [when, setWhen] = useState(() => toLocalInput(at ? new Date(at) : new Date()));
  const [table, setTable] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [dest, setDest] = useState('');
  const [decision, setDecision] = useState<any>(null);
  const [routeError, setRouteError] = useState<FormError | null>(null);
  const load = (v: string) =>
    gql(ROUTING, { at: fromLocalInput(v) })
      .then((d) => (setTable(d.routingTable), setError(null)))
      .catch((e) => setError(e.message));
  useEffect(() => void load(when), []);
  const csvHref = useMemo(() => (table ? URL.createObjectURL(new Blob([table.csv], { type: 'text/csv' })) : null), [table]);
  useEffect(() => () => void (csvHref && URL.revokeObjectURL(csvHref)), [csvHref]);
  return (
    <>
      <PageTitle>Active routing table</PageTitle>
      <form
        class="card form row"
        onSubmit={(e) => {
          e.preventDefault();
          void load(when);
        }}
      >
        <Field name="at" label="As of">
          {(a) => <input {...a} type="datetime-local" value={when} onInput={(e) => setWhen((e.target as HTMLInputElement).value)} />}
        </Field>
        <button type="submit">Show</button>
      </form>
      <ErrorText error={error} />
      {table && (
        <Section
          title="Routes"
          actions={
            csvHref && (
              <a class="button secondary" href={csvHref} download={`routing-${table.at}.csv`}>
                Download CSV
              </a>
            )
          }
        >
          {table.entries.length === 0 ? (
            <p class="muted">
              No selection is active at <When at={table.at} />. Awarded requests route calls during their service interval.
            </p>
          ) : (
            <TableWrap label="Routing table">
              <table data-testid="routing-table">
                <caption>
                  Routes at <When at={table.at} />
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Prefix</th>
                    <th scope="col">Carrier</th>
                    <th scope="col" class="num">
                      Rate
                    </th>
                    <th scope="col">From</th>
                    <th scope="col">Until</th>
                    <th scope="col">Request</th>
                  </tr>
                </thead>
                <tbody>
                  {table.entries.map((r: any, i: number) => (
                    <tr key={i}>
                      <td>{r.prefix}</td>
                      <td>{r.carrier?.name ?? r.carrierId}</td>
                      <td class="num">
                        {formatDecimal(r.ratePerUnit)} {r.currency}
                      </td>
                      <td>
                        <When at={r.intervalStart} />
                      </td>
                      <td>
                        <When at={r.intervalEnd} />
                      </td>
                      <td>
                        <a href={href('requests', r.requestId)}>{r.requestId}</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </Section>
      )}
      <Section title="Route a call">
        <form
          class="form row"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setRouteError(null);
            try {
              setDecision((await gql(ROUTE_CALL, { destination: dest.trim(), at: fromLocalInput(when) })).routeCall);
            } catch (err) {
              setDecision(null);
              setRouteError({ ...formErrorOf(err), field: 'destination' });
            }
          }}
        >
          <Field name="destination" label="Dialled number" hint="E.164 digits" error={routeError}>
            {(a) => <input {...a} inputMode="tel" value={dest} onInput={(e) => setDest((e.target as HTMLInputElement).value)} />}
          </Field>
          <button type="submit">Route</button>
        </form>
        {decision && (
          <p role="status">
            {decision.carrier
              ? `${decision.destination} goes to ${decision.carrier.name} (prefix ${decision.matchedPrefix}) at ${decision.ratePerUnit} ${decision.currency}.`
              : `No route for ${decision.destination}: ${String(decision.reason).replace(/_/g, ' ').toLowerCase()}.`}
          </p>
        )}
      </Section>
    </>
  );
}
