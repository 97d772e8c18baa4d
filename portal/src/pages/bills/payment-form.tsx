import { useState } from 'preact/hooks';
import { gql } from '../../api';
import { formatMoney } from '../../decimal';
import { Field, FormAlert, focusField, formErrorOf, randomKey, type FormError } from '../../ui';
import type { FullBill } from './bill';
import PAY from './pay.graphql';

// Records a payment against a bill (buyers and agents); one payment id per form, so a resubmitted form is not paid twice.
export function PaymentForm({ bill, onPaid }: { bill: FullBill; onPaid: () => void }) {
  const [amount, setAmount] = useState(bill.outstanding.amount);
  const [path, setPath] = useState('DIRECT');
  const [reference, setReference] = useState('');
  // One key per intended payment: a double click or a retry after a lost answer pays once.
  const [paymentId, setPaymentId] = useState(() => randomKey('portal_'));
  const [error, setError] = useState<FormError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setDone(null);
        try {
          const d = await gql(PAY, { input: { billId: bill.id, amount: amount.trim(), path, paymentId, ...(reference.trim() ? { reference: reference.trim() } : {}) } });
          setDone(`Payment of ${formatMoney(d.recordPayment.amount)} recorded.`);
          setPaymentId(randomKey('portal_'));
          setReference('');
          onPaid();
        } catch (err) {
          const fe = formErrorOf(err);
          setError(fe);
          focusField(fe.field);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>Record a payment</h3>
      <FormAlert error={error} />
      {done && (
        <p class="alert alert-info" role="status">
          {done}
        </p>
      )}
      <div class="row">
        <Field name="input.amount" label={`Amount (${bill.total.currency})`} hint={`At most ${bill.outstanding.amount}`} error={error}>
          {(a) => <input {...a} inputMode="decimal" required value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />}
        </Field>
        <Field name="input.path" label="Paid" error={error}>
          {(a) => (
            <select {...a} value={path} onChange={(e) => setPath((e.target as HTMLSelectElement).value)}>
              <option value="DIRECT">Directly to the carrier</option>
              <option value="VIA_MODERATOR">Through the Moderator</option>
            </select>
          )}
        </Field>
        <Field name="input.reference" label="Reference (optional)" error={error}>
          {(a) => <input {...a} value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />}
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Recording…' : 'Record payment'}
      </button>
    </form>
  );
}
