import { checkDecimal, Dec, minorUnits } from './money';
import { badInput } from './errors';

/**
 * Disputes of a bill (or one of its lines): opened by the buyer or the carrier with a reason, a
 * proposed correction and the reconciliation as evidence; seen by the other party and the billing
 * agent; resolved by the billing agent — accepted (an ADJUSTMENT bill credits or charges the
 * correction) or rejected with a reason. Every step is kept in the history.
 */
export type DisputeStatus = 'OPEN' | 'ACCEPTED' | 'REJECTED';

export const MAX_REASON = 2000;

export function checkReason(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw badInput(field, `${field} is required`);
  if (v.length > MAX_REASON) throw badInput(field, `${field} must be at most ${MAX_REASON} characters`);
  return v.trim();
}

/** The correction to the bill: negative credits the buyer, positive charges it; never 0, in the bill's minor units. */
export function checkCorrection(field: string, v: unknown, currency: string): string {
  const reason = checkDecimal(v, { allowNegative: true, maxFractionDigits: minorUnits(currency) });
  if (reason) throw badInput(field, `${field} ${reason}`);
  const d = new Dec(v as string);
  if (d.isZero()) throw badInput(field, `${field} must not be 0 (negative credits the buyer, positive charges it)`);
  return d.toFixed();
}

/** Amount still in dispute on a bill: the sum of its OPEN disputes' corrections. */
export function disputedAmount(disputes: { status: DisputeStatus; amount: string }[]): string {
  return disputes.filter((d) => d.status === 'OPEN').reduce((s, d) => s.plus(d.amount), new Dec(0)).toFixed();
}

/**
 * Bounds a correction by what the disputed bill (or line) charged: a credit (negative) cannot give
 * back more than was charged, a debit (positive) cannot add more than was charged (missing usage is
 * ingested and billed by the bill run, not disputed). `others` are the corrections already
 * accepted or being decided on the same bill (or line): together with this one they stay within
 * the bound, so ten small credits cannot add up past it either. Without this a buyer's −5 dispute
 * on a 0.05 bill was accepted, and a carrier's 999999999999999999.99 one reached the ledger.
 */
export function checkCorrectionBound(field: string, amount: string, charged: string, others: string[], what: string): void {
  const a = new Dec(amount);
  const c = new Dec(charged);
  const same = others.map((o) => new Dec(o)).filter((o) => o.isNegative() === a.isNegative());
  const used = same.reduce((s, o) => s.plus(o.abs()), new Dec(0));
  const bound = a.isNegative() ? Dec.max(c, 0) : c.abs();
  const left = Dec.max(bound.minus(used), 0);
  if (a.abs().greaterThan(left)) {
    const kind = a.isNegative() ? 'a credit' : 'a charge';
    const already = used.isZero() ? '' : ` (${used.toFixed()} of it already accepted or being decided)`;
    throw badInput(field, `${field}: ${kind} of at most ${left.toFixed()} is possible on ${what}, which charged ${c.toFixed()}${already}`);
  }
}
