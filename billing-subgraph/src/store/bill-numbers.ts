import { formatBillNumber, seriesOfTotal } from '../domain';
import type { BillDoc, BillingModels } from './models';
import { claimNextSlot, latestSlot } from './slots';

/**
 * The series of a bill number: invoices or credit notes (a negative total), per UTC month of the
 * issue date (domain/bill-number.ts). The invoice series keeps its key, so bills numbered before
 * credit notes existed keep their numbers and their series stays gapless.
 */
const seriesKey = (bill: BillDoc) => `${seriesOfTotal(bill.total) === 'CREDIT_NOTE' ? 'cnno' : 'billno'}|${bill.issuedAt.toISOString().slice(0, 7)}`;

/** Thrown inside a slot claim when the bill already holds a slot of the series. */
class AlreadyNumbered extends Error {
  constructor(readonly seq: number) {
    super('already numbered');
  }
}

/**
 * Gives an issued bill its number, gapless per series: the next slot of the series is claimed
 * only for a bill that is already issued, and the slot records the bill id. Before claiming, the
 * bill records the series' last seq it saw (numberFloor), so a re-run after a crash between the
 * claim and the bill's update finds its own slot among the few after the floor (the {key, seq}
 * index) and reuses it instead of taking a second number. Claims of one process are serialised
 * per series (store/slots.ts); callers leave a bill another process may be numbering right now
 * alone (NUMBER_RECOVERY_AFTER_MS below).
 */
export async function assignBillNumber(models: BillingModels, bill: BillDoc): Promise<BillDoc> {
  if (bill.number || bill.status === 'DRAFT') return bill;
  const { Bill } = models;
  const key = seriesKey(bill);
  let floor = bill.numberFloor;
  if (floor === undefined) {
    const seen = (await latestSlot(models, key))?.seq ?? 0;
    await Bill.updateOne({ _id: bill._id, numberFloor: { $exists: false } }, { $set: { numberFloor: seen } }).exec();
    const stored = (await Bill.findById(bill._id).select({ numberFloor: 1, number: 1 }).lean().exec()) as BillDoc;
    if (stored.number) return { ...bill, number: stored.number, numberFloor: stored.numberFloor };
    floor = stored.numberFloor ?? seen;
  }
  let seq: number;
  try {
    ({ slot: { seq } } = await claimNextSlot(models, key, async (prev) => {
      const mine = await models.Slot.findOne({ key, seq: { $gt: floor, $lte: prev?.seq ?? 0 }, value: bill._id }).select({ seq: 1 }).lean().exec();
      if (mine) throw new AlreadyNumbered(mine.seq);
      return { slot: { value: bill._id }, extra: null };
    }));
  } catch (err) {
    if (!(err instanceof AlreadyNumbered)) throw err;
    seq = err.seq;
  }
  const number = formatBillNumber(seq, bill.issuedAt, seriesOfTotal(bill.total));
  await Bill.updateOne({ _id: bill._id, number: { $exists: false } }, { $set: { number } }).exec();
  return (await Bill.findById(bill._id).lean().exec()) as BillDoc;
}

/**
 * An issued bill found without its number is numbered by whoever finds it only once it has been
 * issued this long (BILL_ISSUE_RECOVERY_AFTER_MS configures it): the issuer numbers it right after the flip, and two processes numbering the
 * same bill at the same moment could each claim a slot (a gap).
 */
export const NUMBER_RECOVERY_AFTER_MS = 60_000;

/** Crash recovery: an issued bill whose issuer died between the flip and the number gets one, once clearly abandoned. */
export async function recoverBillNumber(models: BillingModels, bill: BillDoc, now = Date.now(), before?: () => Promise<void>, afterMs = NUMBER_RECOVERY_AFTER_MS): Promise<BillDoc> {
  if (bill.number || bill.status === 'DRAFT' || now - bill.issuedAt.getTime() < afterMs) return bill;
  // What the issuer does before numbering (its ledger postings: services/bill-run/issue-completion.ts).
  if (before) await before();
  return assignBillNumber(models, bill);
}
