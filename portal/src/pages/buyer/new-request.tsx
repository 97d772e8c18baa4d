import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql } from '../../api';
import { navigate } from '../../router';
import type { Session } from '../../session';
import { Field, FormAlert, focusField, formErrorOf, fromLocalInput, PageTitle, toLocalInput, type FormError } from '../../ui';
import CREATE from './create-request.graphql';
import MY_END_USERS from './my-end-users.graphql';

// New request

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
    gql<{ buyer: { isReseller: boolean; endUsers: { id: string; name: string }[] } | null }>(MY_END_USERS, {
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
