import { badInput } from './errors';
import type { BillingIncrement } from './incentive';

/**
 * Seconds charged for a call under an `initial/subsequent` increment (60/60, 30/6, 1/1):
 * the first block is charged whole, then every started subsequent block is charged whole.
 * Written with integers only: the 30/6 boundary bug of cgrates#118 came from float maths.
 * A zero-second record (unanswered attempt) is not charged a first block.
 */
export function billableSeconds(seconds: number, increment: BillingIncrement): number {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw badInput('quantity', 'quantity must be a non-negative whole number of seconds');
  }
  const { initialSeconds: initial, subsequentSeconds: subsequent } = increment;
  if (!Number.isSafeInteger(initial) || initial < 1 || !Number.isSafeInteger(subsequent) || subsequent < 1) {
    throw badInput('billingIncrement', 'billingIncrement seconds must be whole numbers of at least 1');
  }
  if (seconds === 0) return 0;
  if (seconds <= initial) return initial;
  const over = seconds - initial;
  const remainder = over % subsequent;
  const blocks = (over - remainder) / subsequent + (remainder === 0 ? 0 : 1);
  return initial + blocks * subsequent;
}
