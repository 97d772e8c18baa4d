import { badInput, conflict } from './errors';
import { checkDecimal, Dec, formatQuantity, formatRecordAmount, formatTotal, minorUnits, roundRecord, sum } from './money';

/*
 * How the three bill kinds fit together (claims 11/28/41: a bill before the service interval).
 *
 * ADVANCE — issued before the service interval. Its records are the requested (committed)
 * quantity rated under the winning incentive, plus the setup fee when it is the first bill of
 * the selection, plus a minimum-charge top-up if the committed usage is below the minimum.
 *
 * Decision — the advance is a PREPAYMENT, not a separate charge. Its usage + top-up amount
 * (`creditableAdvance`, excluding the one-off setup fee) becomes a credit pool for the selection.
 * Every later PERIODIC or ADJUSTMENT bill charges actual usage (and its own top-up) and then
 * consumes the pool with an ADVANCE_CREDIT line of −min(pool, usage + top-up of that bill), so
 * a bill never goes below zero and the buyer never pays twice for the same minutes. The caller
 * keeps the pool: pool := pool − advanceCreditApplied. Over the selection the buyer pays
 * max(advance, actual) — the committed quantity is take-or-pay; an unused pool is not refunded
 * automatically (a refund is a commercial decision, made as a manual adjustment).
 * The setup fee is charged once: on whichever bill the caller marks isFirstBillForSelection.
 *
 * PERIODIC — actual usage of one billing period for one selection; the minimum charge is per
 * billing period, so the top-up is minimumCharge − usage when usage falls short.
 *
 * ADJUSTMENT — late usage for a period whose bill was already issued (an issued bill never
 * changes). The top-up already charged on earlier bills of the period was
 * max(0, min − alreadyBilled); after the late usage only max(0, min − alreadyBilled − late) is
 * owed, so the MINIMUM_TOP_UP line is the (zero or negative) difference: late usage first
 * replaces top-up already paid, and the minimum is never charged twice. The release can never
 * exceed the late usage, so an adjustment total is ≥ 0.
 */

export type BillKind = 'ADVANCE' | 'PERIODIC' | 'ADJUSTMENT';
export type BillLineKind = 'USAGE' | 'MINIMUM_TOP_UP' | 'SETUP_FEE' | 'ADVANCE_CREDIT';

export interface BillRecordInput {
  billingRecordId: string;
  endUserId?: string | null;
  /** 6 dp record amount as rated. */
  amount: string;
  /** In `unit` (display quantity). */
  quantity: string;
  unit: string;
  tierIndex: number;
  ratePerUnit: string;
  description?: string;
}

export interface AssembleBillInput {
  kind: BillKind;
  currency: string;
  records: BillRecordInput[];
  minimumCharge?: string;
  setupFee?: string;
  isFirstBillForSelection: boolean;
  /** ADJUSTMENT under a minimum charge (required then): usage amount on all earlier bills of the period (periodic + earlier adjustments), excluding top-ups. */
  alreadyBilledUsageInPeriod?: string;
  isReseller: boolean;
  /** PERIODIC/ADJUSTMENT: what remains of the selection's advance pool. */
  advanceCreditAvailable?: string;
}

export interface BillLine {
  kind: BillLineKind;
  description: string;
  /** Reseller bills: the end user of a usage line; null = the reseller's own (direct) usage. */
  endUserId?: string | null;
  quantity?: string;
  unit?: string;
  ratePerUnit?: string;
  tierIndex?: number;
  billingRecordIds?: string[];
  /** Exact, 6 dp; negative for credits. */
  amount: string;
}

export interface EndUserSubtotal {
  endUserId: string | null;
  label: string;
  amount: string;
}

export interface AssembledBill {
  kind: BillKind;
  currency: string;
  lines: BillLine[];
  endUserSubtotals: EndUserSubtotal[];
  usageAmount: string;
  minimumTopUp: string;
  setupFee: string;
  advanceCreditApplied: string;
  /** ADVANCE only: the credit pool this bill creates; "0.000000" for other kinds. */
  creditableAdvance: string;
  /** Sum of the lines, exact, 6 dp. */
  subtotal: string;
  /** Subtotal rounded half-up to the currency's minor unit, fixed dp ("12.30"). */
  total: string;
}

export const DIRECT_LABEL = '(direct)';

function amountOf(field: string, v: unknown, allowNegative = false): Dec {
  const reason = checkDecimal(v, { allowNegative });
  if (reason) throw badInput(field, `${field} ${reason}`);
  return new Dec(v as string);
}

interface Group {
  endUserId: string | null;
  unit: string;
  tierIndex: number;
  rate: Dec;
  quantity: Dec;
  amount: Dec;
  ids: string[];
  descriptions: Set<string | undefined>;
}

const compareUser = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);

function usageDescription(g: Group, currency: string, isReseller: boolean): string {
  const [only] = g.descriptions;
  if (g.descriptions.size === 1 && only) return only;
  const who = isReseller ? `${g.endUserId === null ? DIRECT_LABEL : `End user ${g.endUserId}`} — ` : '';
  const tier = g.tierIndex === 0 ? 'base rate' : `tier ${g.tierIndex}`;
  return `${who}Usage, ${tier}: ${formatQuantity(g.quantity)} ${g.unit} at ${g.rate.toFixed()} ${currency}/${g.unit}`;
}

/** Builds the lines and totals of one bill from its billing records (claims 19e/20: per buyer, per carrier, per request). */
export function assembleBill(input: AssembleBillInput): AssembledBill {
  const { kind, currency, isReseller } = input;
  if (kind !== 'ADVANCE' && kind !== 'PERIODIC' && kind !== 'ADJUSTMENT') {
    throw badInput('kind', 'kind must be ADVANCE, PERIODIC or ADJUSTMENT');
  }
  minorUnits(currency);
  if (!Array.isArray(input.records)) throw badInput('records', 'records must be a list');

  const groups = new Map<string, Group>();
  const seen = new Set<string>();
  input.records.forEach((r, i) => {
    const f = `records[${i}]`;
    if (typeof r.billingRecordId !== 'string' || r.billingRecordId === '') throw badInput(`${f}.billingRecordId`, `${f}.billingRecordId is required`);
    // A record on a bill twice is a double charge; refuse rather than de-duplicate silently.
    if (seen.has(r.billingRecordId)) throw conflict(`billing record ${r.billingRecordId} appears twice on one bill`, `${f}.billingRecordId`);
    seen.add(r.billingRecordId);
    // Negative: mediation reverses a record a better source replaced (services/usage/mediation.ts).
    const amount = amountOf(`${f}.amount`, r.amount, true);
    const quantity = amountOf(`${f}.quantity`, r.quantity, true);
    const rate = amountOf(`${f}.ratePerUnit`, r.ratePerUnit);
    if (!Number.isInteger(r.tierIndex) || r.tierIndex < 0) throw badInput(`${f}.tierIndex`, `${f}.tierIndex must be a whole number ≥ 0`);
    if (typeof r.unit !== 'string' || r.unit === '') throw badInput(`${f}.unit`, `${f}.unit is required`);
    // Only resellers itemise by end user (claims 16/29/42); for others the field is noise.
    const endUserId = isReseller && typeof r.endUserId === 'string' && r.endUserId !== '' ? r.endUserId : null;
    const key = JSON.stringify([endUserId, r.unit, r.tierIndex, rate.toFixed()]);
    let g = groups.get(key);
    if (!g) {
      g = { endUserId, unit: r.unit, tierIndex: r.tierIndex, rate, quantity: new Dec(0), amount: new Dec(0), ids: [], descriptions: new Set() };
      groups.set(key, g);
    }
    g.quantity = g.quantity.plus(quantity);
    g.amount = g.amount.plus(amount);
    g.ids.push(r.billingRecordId);
    g.descriptions.add(r.description);
  });

  const ordered = [...groups.values()].sort(
    (a, b) =>
      compareUser(a.endUserId, b.endUserId) ||
      (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0) ||
      a.tierIndex - b.tierIndex ||
      a.rate.comparedTo(b.rate),
  );
  const lines: BillLine[] = ordered.map((g) => {
    const line: BillLine = {
      kind: 'USAGE',
      description: usageDescription(g, currency, isReseller),
      quantity: formatQuantity(g.quantity),
      unit: g.unit,
      ratePerUnit: g.rate.toFixed(),
      tierIndex: g.tierIndex,
      billingRecordIds: g.ids,
      amount: formatRecordAmount(g.amount),
    };
    if (isReseller) line.endUserId = g.endUserId;
    return line;
  });
  const usage = sum(lines.map((l) => l.amount));

  let topUp = new Dec(0);
  if (input.minimumCharge !== undefined && input.minimumCharge !== null) {
    const minimum = amountOf('minimumCharge', input.minimumCharge);
    if (kind === 'ADJUSTMENT') {
      if (input.alreadyBilledUsageInPeriod === undefined || input.alreadyBilledUsageInPeriod === null) {
        throw badInput('alreadyBilledUsageInPeriod', 'alreadyBilledUsageInPeriod is required for an ADJUSTMENT under a minimum charge');
      }
      const already = amountOf('alreadyBilledUsageInPeriod', input.alreadyBilledUsageInPeriod);
      const charged = Dec.max(0, minimum.minus(already));
      const stillOwed = Dec.max(0, minimum.minus(already).minus(usage));
      topUp = roundRecord(stillOwed.minus(charged));
      if (!topUp.isZero()) {
        lines.push({ kind: 'MINIMUM_TOP_UP', description: `Minimum charge top-up already billed for the period, now covered by late usage`, amount: formatRecordAmount(topUp) });
      }
    } else if (usage.lt(minimum)) {
      topUp = roundRecord(minimum.minus(usage));
      lines.push({ kind: 'MINIMUM_TOP_UP', description: `Minimum charge top-up to ${minimum.toFixed()} ${currency} for the billing period`, amount: formatRecordAmount(topUp) });
    }
  }

  let setup = new Dec(0);
  if (input.isFirstBillForSelection && input.setupFee !== undefined && input.setupFee !== null) {
    setup = roundRecord(amountOf('setupFee', input.setupFee));
    if (!setup.isZero()) lines.push({ kind: 'SETUP_FEE', description: 'One-time setup fee', amount: formatRecordAmount(setup) });
  }

  let credit = new Dec(0);
  if (input.advanceCreditAvailable !== undefined && input.advanceCreditAvailable !== null) {
    const pool = amountOf('advanceCreditAvailable', input.advanceCreditAvailable);
    if (kind === 'ADVANCE' && !pool.isZero()) throw badInput('advanceCreditAvailable', 'an ADVANCE bill cannot consume advance credit');
    const creditable = usage.plus(topUp);
    credit = Dec.max(0, Dec.min(pool, creditable));
    if (!credit.isZero()) {
      lines.push({ kind: 'ADVANCE_CREDIT', description: 'Credit from the advance bill for this selection', amount: formatRecordAmount(credit.negated()) });
    }
  }

  const endUserSubtotals: EndUserSubtotal[] = [];
  if (isReseller) {
    const byUser = new Map<string | null, Dec>();
    for (const g of ordered) byUser.set(g.endUserId, (byUser.get(g.endUserId) ?? new Dec(0)).plus(g.amount));
    for (const [endUserId, amount] of byUser) {
      endUserSubtotals.push({ endUserId, label: endUserId ?? DIRECT_LABEL, amount: formatRecordAmount(amount) });
    }
  }

  const subtotal = sum(lines.map((l) => l.amount));
  return {
    kind,
    currency,
    lines,
    endUserSubtotals,
    usageAmount: formatRecordAmount(usage),
    minimumTopUp: formatRecordAmount(topUp),
    setupFee: formatRecordAmount(setup),
    advanceCreditApplied: formatRecordAmount(credit),
    creditableAdvance: formatRecordAmount(kind === 'ADVANCE' ? usage.plus(topUp) : 0),
    subtotal: formatRecordAmount(subtotal),
    total: formatTotal(subtotal, currency),
  };
}
