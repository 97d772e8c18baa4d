import { checkDecimal, Dec, formatTotal, roundTotal } from './money';
import { badInput } from './errors';
import type { TaxRule } from './billing-profile';

/** One tax line of a bill: what the amount is, on what base, and why a zero-rated line is zero. */
export interface TaxLine {
  name: string;
  ratePercent: string;
  /** The net amount the tax is computed on (minor unit). */
  base: string;
  /** Rounded half-up at the currency's minor unit. */
  amount: string;
  reverseCharge: boolean;
  /** Printed under the line: the reverse-charge statement, or null. */
  note: string | null;
}

export interface TaxedTotals {
  /** The bill's amount before tax (the total it had without a tax rule). */
  net: string;
  taxLines: TaxLine[];
  /** net + the tax lines, what the buyer owes. */
  total: string;
}

export const REVERSE_CHARGE_NOTE = 'Reverse charge: the customer accounts for the tax (no tax charged by the supplier).';

/** A tax rule's rate as a decimal, refusing anything but a plain percentage from 0 to 100. */
export function checkTaxRate(field: string, ratePercent: unknown): Dec {
  const reason = checkDecimal(ratePercent, { maxFractionDigits: 6, maxIntegerDigits: 3 });
  if (reason) throw badInput(field, `${field} ${reason}`);
  const rate = new Dec(ratePercent as string);
  if (rate.gt(100)) throw badInput(field, `${field} must be at most 100`);
  return rate;
}

/**
 * The taxes of a bill of `net` under the buyer's rule. The tax is computed once on the whole net
 * amount and rounded half-up at the currency's minor unit (per-line rounding would make the tax
 * depend on how the bill is split into lines). A reverse-charge rule produces a 0 % line that says
 * the customer accounts for the tax; no rule produces no line and leaves the total as it was.
 */
export function taxBill(net: string, currency: string, rule: TaxRule | null): TaxedTotals {
  const netTotal = formatTotal(net, currency);
  if (!rule) return { net: netTotal, taxLines: [], total: netTotal };
  const rate = rule.reverseCharge ? new Dec(0) : checkTaxRate('tax.ratePercent', rule.ratePercent);
  const amount = roundTotal(new Dec(netTotal).times(rate).div(100), currency);
  const line: TaxLine = {
    name: rule.name,
    ratePercent: rate.toFixed(),
    base: netTotal,
    amount: formatTotal(amount, currency),
    reverseCharge: rule.reverseCharge,
    note: rule.reverseCharge ? REVERSE_CHARGE_NOTE : null,
  };
  return { net: netTotal, taxLines: [line], total: formatTotal(new Dec(netTotal).plus(amount), currency) };
}
