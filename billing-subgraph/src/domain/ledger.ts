import { badInput, conflict } from './errors';
import { checkDecimal, Dec, formatTotal, minorUnits, sum } from './money';
import { parseInstant } from './time';

/*
 * Double-entry view kept by the billing computer. Positive = debit, negative = credit; every
 * posting set sums to zero per currency. Accounts:
 *   buyer:<id>:receivable   what the buyer owes           (debit when a bill is issued)
 *   carrier:<id>:payable    what the carrier is owed      (credit when a bill is issued)
 *   moderator:clearing      money held by the moderator between the two legs of a
 *                           VIA_MODERATOR payment (claims 6/15); zero once both legs post.
 *   carrier:<id>:tax        tax the carrier charged on its bills and owes the tax authority
 *                           (credit when a taxed bill is issued). A payment settles the whole
 *                           total against carrier:<id>:payable, which then holds the tax the
 *                           carrier collected (debit) until it remits it: the two carrier
 *                           accounts together net to zero once the bill is paid.
 * Both payment paths end with the same receivable/payable balances, so a statement can mix them.
 */

export type PaymentPath = 'DIRECT' | 'VIA_MODERATOR';
export type BillPaymentStatus = 'ISSUED' | 'PARTIALLY_PAID' | 'PAID';

export interface Posting {
  account: string;
  currency: string;
  amount: string;
}

export interface PostingSet {
  event: 'BILL_ISSUED' | 'PAYMENT_DIRECT' | 'PAYMENT_BUYER_TO_MODERATOR' | 'PAYMENT_MODERATOR_TO_CARRIER';
  billId: string;
  description: string;
  postings: Posting[];
}

export const accounts = {
  buyerReceivable: (buyerId: string) => `buyer:${buyerId}:receivable`,
  carrierPayable: (carrierId: string) => `carrier:${carrierId}:payable`,
  moderatorClearing: 'moderator:clearing',
  carrierTax: (carrierId: string) => `carrier:${carrierId}:tax`,
} as const;

export interface BillForLedger {
  billId: string;
  buyerId: string;
  carrierId: string;
  currency: string;
  total: string;
  /** The tax included in total (domain/tax.ts); absent or zero: the whole total is the carrier's. */
  tax?: string;
}

export interface PaymentForLedger {
  billId: string;
  buyerId: string;
  carrierId: string;
  currency: string;
  amount: string;
  path: PaymentPath;
}

/** Amount in minor units of the currency: money that moves is never finer than a cent/fils/yen. */
function money(field: string, v: unknown, currency: string, opts: { positive?: boolean; allowNegative?: boolean } = {}): Dec {
  const reason = checkDecimal(v, { maxFractionDigits: minorUnits(currency), positive: opts.positive, allowNegative: opts.allowNegative });
  if (reason) throw badInput(field, `${field} ${reason}`);
  return new Dec(v as string);
}

function pair(debit: string, credit: string, amount: Dec, currency: string): Posting[] {
  return [
    { account: debit, currency, amount: formatTotal(amount, currency) },
    { account: credit, currency, amount: formatTotal(amount.negated(), currency) },
  ];
}

/**
 * Issuing a bill: the buyer now owes the total and the carrier is owed it. A zero bill posts
 * nothing; a negative total (an ADJUSTMENT crediting the buyer, e.g. a better source's shorter
 * record replacing a billed one) posts the same pair reversed.
 */
export function postingsForBillIssued(bill: BillForLedger): PostingSet[] {
  const total = money('total', bill.total, bill.currency, { allowNegative: true });
  if (total.isZero()) return [];
  const tax = money('tax', bill.tax ?? '0', bill.currency, { allowNegative: true });
  const postings = pair(accounts.buyerReceivable(bill.buyerId), accounts.carrierPayable(bill.carrierId), total, bill.currency);
  if (!tax.isZero()) {
    // The carrier is owed the net; the tax goes to its own account, so the set still balances.
    postings[1] = { account: accounts.carrierPayable(bill.carrierId), currency: bill.currency, amount: formatTotal(total.minus(tax).negated(), bill.currency) };
    postings.push({ account: accounts.carrierTax(bill.carrierId), currency: bill.currency, amount: formatTotal(tax.negated(), bill.currency) });
  }
  return [{ event: 'BILL_ISSUED', billId: bill.billId, description: `Bill ${bill.billId} issued`, postings }];
}

/** DIRECT: one leg buyer → carrier. VIA_MODERATOR: buyer → moderator clearing, clearing → carrier. */
export function postingsForPayment(p: PaymentForLedger): PostingSet[] {
  const amount = money('input.amount', p.amount, p.currency, { positive: true });
  const buyer = accounts.buyerReceivable(p.buyerId);
  const carrier = accounts.carrierPayable(p.carrierId);
  if (p.path === 'DIRECT') {
    return [{ event: 'PAYMENT_DIRECT', billId: p.billId, description: `Buyer paid carrier directly for bill ${p.billId}`, postings: pair(carrier, buyer, amount, p.currency) }];
  }
  if (p.path === 'VIA_MODERATOR') {
    return [
      { event: 'PAYMENT_BUYER_TO_MODERATOR', billId: p.billId, description: `Buyer paid the moderator for bill ${p.billId}`, postings: pair(accounts.moderatorClearing, buyer, amount, p.currency) },
      { event: 'PAYMENT_MODERATOR_TO_CARRIER', billId: p.billId, description: `Moderator paid the carrier for bill ${p.billId}`, postings: pair(carrier, accounts.moderatorClearing, amount, p.currency) },
    ];
  }
  throw badInput('input.path', 'input.path must be DIRECT or VIA_MODERATOR');
}

/** True when the postings sum to zero in every currency. */
export function isBalanced(postings: Posting[]): boolean {
  const byCurrency = new Map<string, Dec>();
  for (const p of postings) byCurrency.set(p.currency, (byCurrency.get(p.currency) ?? new Dec(0)).plus(p.amount));
  return [...byCurrency.values()].every((d) => d.isZero());
}

/** Balance per account (and currency) after applying the posting sets in order. */
export function balances(sets: PostingSet[]): Map<string, string> {
  const acc = new Map<string, Dec>();
  for (const s of sets) for (const p of s.postings) {
    const key = `${p.account}|${p.currency}`;
    acc.set(key, (acc.get(key) ?? new Dec(0)).plus(p.amount));
  }
  return new Map([...acc].map(([k, v]) => [k, v.isZero() ? '0' : v.toFixed()]));
}

export interface PaymentApplication {
  status: BillPaymentStatus;
  paidTotal: string;
  outstanding: string;
}

/**
 * Status after receiving `amount` on a bill of `billTotal` of which `paidSoFar` is paid.
 * Overpayment is refused, not parked as credit: an unexplained surplus is what accounts end up
 * stuck on (killbill#1124); the payer re-sends the right amount. With `currency`, amounts finer
 * than its minor unit are refused too.
 */
export function applyPayment(billTotal: string, paidSoFar: string, amount: string, currency?: string): PaymentApplication {
  const maxFractionDigits = currency === undefined ? undefined : minorUnits(currency);
  const parse = (field: string, v: unknown, positive = false) => {
    const reason = checkDecimal(v, { maxFractionDigits, positive });
    if (reason) throw badInput(field, `${field === 'input.amount' ? 'amount' : field} ${reason}`);
    return new Dec(v as string);
  };
  const total = parse('billTotal', billTotal);
  const paid = parse('paidSoFar', paidSoFar);
  if (paid.gt(total)) throw conflict('the bill is already paid beyond its total');
  const value = parse('input.amount', amount, true);
  const outstanding = total.minus(paid);
  if (value.gt(outstanding)) {
    throw badInput('input.amount', `amount ${value.toFixed()} exceeds the outstanding ${outstanding.toFixed()}`);
  }
  const newPaid = paid.plus(value);
  const left = total.minus(newPaid);
  return {
    status: left.isZero() ? 'PAID' : newPaid.isZero() ? 'ISSUED' : 'PARTIALLY_PAID',
    paidTotal: newPaid.toFixed(),
    outstanding: left.isZero() ? '0' : left.toFixed(),
  };
}

export interface StatementBill {
  billId: string;
  billNumber?: string;
  buyerId: string;
  carrierId: string;
  currency: string;
  total: string;
  issuedAt: Date | string;
}

export interface StatementPayment {
  billId: string;
  amount: string;
  path: PaymentPath;
  receivedAt: Date | string;
}

export interface StatementAmounts {
  currency: string;
  billed: string;
  receivedDirect: string;
  receivedViaModerator: string;
  outstanding: string;
}

export interface StatementLine extends StatementAmounts {
  billId: string;
  billNumber?: string;
  buyerId: string;
}

export interface SettlementStatement {
  carrierId: string;
  period: { start: Date; end: Date };
  lines: StatementLine[];
  totals: StatementAmounts[];
}

/**
 * A carrier's statement for [period.start, period.end): the carrier's bills issued in the
 * period and what was received on them, as of period end, split by payment path. Payments
 * after the period end belong to the next statement; payments on other bills are ignored.
 * Totals are per currency — amounts in different currencies are never added.
 */
export function settlementStatement(
  carrierId: string,
  period: { start: Date | string; end: Date | string },
  bills: StatementBill[],
  payments: StatementPayment[],
): SettlementStatement {
  const start = parseInstant(period.start);
  const end = parseInstant(period.end);
  if (!start) throw badInput('period.start', 'period.start must be an ISO 8601 date-time');
  if (!end || end.getTime() <= start.getTime()) throw badInput('period.end', 'period.end must be a date-time after period.start');

  const inPeriod = bills
    .filter((b) => {
      const at = parseInstant(b.issuedAt)?.getTime();
      return b.carrierId === carrierId && at !== undefined && at >= start.getTime() && at < end.getTime();
    })
    .sort((a, b) => (parseInstant(a.issuedAt)!.getTime() - parseInstant(b.issuedAt)!.getTime()) || (a.billId < b.billId ? -1 : 1));

  const lines: StatementLine[] = inPeriod.map((b) => {
    const received = (path: PaymentPath) =>
      sum(payments
        .filter((p) => p.billId === b.billId && p.path === path && (parseInstant(p.receivedAt)?.getTime() ?? Infinity) < end.getTime())
        .map((p) => p.amount));
    const direct = received('DIRECT');
    const via = received('VIA_MODERATOR');
    const line: StatementLine = {
      billId: b.billId,
      buyerId: b.buyerId,
      currency: b.currency,
      billed: formatTotal(b.total, b.currency),
      receivedDirect: formatTotal(direct, b.currency),
      receivedViaModerator: formatTotal(via, b.currency),
      outstanding: formatTotal(new Dec(b.total).minus(direct).minus(via), b.currency),
    };
    if (b.billNumber !== undefined) line.billNumber = b.billNumber;
    return line;
  });

  const totals = new Map<string, { billed: Dec; direct: Dec; via: Dec; outstanding: Dec }>();
  for (const l of lines) {
    const t = totals.get(l.currency) ?? { billed: new Dec(0), direct: new Dec(0), via: new Dec(0), outstanding: new Dec(0) };
    t.billed = t.billed.plus(l.billed);
    t.direct = t.direct.plus(l.receivedDirect);
    t.via = t.via.plus(l.receivedViaModerator);
    t.outstanding = t.outstanding.plus(l.outstanding);
    totals.set(l.currency, t);
  }
  return {
    carrierId,
    period: { start, end },
    lines,
    totals: [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, t]) => ({
      currency,
      billed: formatTotal(t.billed, currency),
      receivedDirect: formatTotal(t.direct, currency),
      receivedViaModerator: formatTotal(t.via, currency),
      outstanding: formatTotal(t.outstanding, currency),
    })),
  };
}
