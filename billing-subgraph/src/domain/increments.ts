import { badInput } from './errors';
import type { BillingIncrement } from './incentive';

/** A VOICE duration: whole seconds or up to 3 decimals (milliseconds, as Kamailio's acc writes them). */
export const VOICE_SECONDS = /^(\d{1,18})(?:\.(\d{1,3}))?$/;

/**
 * Seconds charged for a call under an `initial/subsequent` increment (60/60, 30/6, 1/1):
 * the first block is charged whole, then every started subsequent block is charged whole.
 * The duration may carry up to 3 decimals (65.432 s); it is counted in whole milliseconds with
 * integers only (BigInt), so 65.432 s under 6/6 is 66 s and under 60/60 120 s exactly — the 30/6
 * boundary bug of cgrates#118 came from float maths. The result is whole seconds.
 * A zero-second record (unanswered attempt) is not charged a first block.
 */
export function billableSeconds(seconds: number | string, increment: BillingIncrement): number {
  const m = VOICE_SECONDS.exec(typeof seconds === 'number' || typeof seconds === 'string' ? String(seconds) : '');
  if (!m) {
    throw badInput('quantity', 'quantity must be a non-negative number of seconds with at most 3 decimals');
  }
  const { initialSeconds: initial, subsequentSeconds: subsequent } = increment;
  if (!Number.isSafeInteger(initial) || initial < 1 || !Number.isSafeInteger(subsequent) || subsequent < 1) {
    throw badInput('billingIncrement', 'billingIncrement seconds must be whole numbers of at least 1');
  }
  const ms = BigInt(m[1]) * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
  const initialMs = BigInt(initial) * 1000n;
  const subsequentMs = BigInt(subsequent) * 1000n;
  let billedMs: bigint;
  if (ms === 0n) billedMs = 0n;
  else if (ms <= initialMs) billedMs = initialMs;
  else {
    const over = ms - initialMs;
    billedMs = initialMs + ((over + subsequentMs - 1n) / subsequentMs) * subsequentMs;
  }
  const out = Number(billedMs / 1000n);
  if (!Number.isSafeInteger(out)) throw badInput('quantity', 'quantity is too large');
  return out;
}
