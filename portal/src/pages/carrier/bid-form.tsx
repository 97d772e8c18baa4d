import { useState } from 'preact/hooks';
import { gql } from '../../api';
import { perUnit } from '../../decimal';
import { Field, FormAlert, focusField, formErrorOf, fromLocalInput, type FormError } from '../../ui';
import type { CarrierReq, MyBid } from './request';
import SUBMIT from './submit-bid.graphql';

// The carrier's bid form on a request page: a new bid, or one replacing its active bid.
interface TierRow {
  fromQuantity: string;
  ratePerUnit: string;
}

export function BidForm({ req, active, onDone }: { req: CarrierReq; active: MyBid | null; onDone: () => void }) {
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
