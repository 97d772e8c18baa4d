import { badInput, conflict } from './errors';
import { Dec } from './money';
import type { PaymentPath } from './ledger';

/*
 * A payment's idempotency key is the payer's own: the payer of a bill is its buyer (directly, or
 * through the Moderator or the billing agent on its behalf), so a key is unique per bill and
 * therefore per payer. A retry that lost its answer sends the same key and the same contents and
 * gets the first payment back; the same key with other contents is a different payment under a
 * reused key and is refused, never posted (Stripe and Adyen refuse a reused key likewise).
 */

/** What a retry must repeat exactly. */
export interface PaymentContents {
  amount: string;
  path: PaymentPath;
  reference?: string | null;
}

/** The key as sent, checked: required, 1 to 200 characters, no control characters, not `$`-led (a stored key). */
export function paymentKey(v: unknown): string {
  if (v === undefined || v === null || v === '') {
    throw badInput('input.paymentId', 'input.paymentId is required: an idempotency key chosen by the payer, sent again unchanged on a retry');
  }
  if (typeof v !== 'string' || v.length > 200 || v.startsWith('$') || /[\u0000-\u001f\u007f]/.test(v)) {
    throw badInput('input.paymentId', 'input.paymentId must be 1 to 200 characters without control characters, not starting with $');
  }
  return v;
}

const sameAmount = (a: string, b: string): boolean => {
  try {
    return new Dec(a).eq(new Dec(b));
  } catch {
    return false;
  }
};

/** The first field whose value differs between the recorded payment and a new request under its key, or null. */
export function differingField(recorded: PaymentContents, asked: PaymentContents): 'amount' | 'path' | 'reference' | null {
  if (!sameAmount(recorded.amount, asked.amount)) return 'amount';
  if (recorded.path !== asked.path) return 'path';
  if ((recorded.reference ?? null) !== (asked.reference ?? null)) return 'reference';
  return null;
}

/** Refuses a reused key whose contents differ from the payment recorded under it. */
export function assertRetryOf(recorded: PaymentContents, asked: PaymentContents, key: string, billId: string, currency: string): void {
  const field = differingField(recorded, asked);
  if (!field) return;
  const shown = (c: PaymentContents) => (field === 'amount' ? `${c.amount} ${currency}` : field === 'path' ? c.path : JSON.stringify(c.reference ?? null));
  throw conflict(
    `input.paymentId ${key} was already used on bill ${billId} for another payment (input.${field} ${shown(recorded)}, now ${shown(asked)}); a retry repeats the first request exactly, a new payment needs a new paymentId`,
    'input.paymentId',
  );
}
