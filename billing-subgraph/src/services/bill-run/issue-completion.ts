import { insertIgnoringDuplicates } from '@exchange/platform';
import { postingsForBillIssued } from '../../domain';
import { assignBillNumber, recoverBillNumber } from '../../store/bill-numbers';
import type { BillDoc } from '../../store/models';
import type { Deps } from '../deps';
import { taxOf } from './bill-invoice';

/**
 * What follows a bill's DRAFT -> ISSUED flip, in this order: its ledger postings, then its number.
 * Both come after the flip because the flip is the moment the bill's amounts are final: postings
 * written before it could be left stale by a run that died and a re-run that claimed late usage
 * into the same draft (same posting ids, different total), and a number taken before it could be
 * wasted (a gap). Postings have deterministic ids, so doing this twice posts nothing twice; a
 * bill that has its number has its postings.
 */
export async function completeIssued(deps: Deps, bill: BillDoc): Promise<BillDoc> {
  if (bill.status === 'DRAFT' || bill.number) return bill;
  // Both steps are idempotent, so a failure (a lost connection, a write conflict) is retried at
  // once: an issued bill is never left "(being numbered)" by a passing error. One that keeps
  // failing is completed by the start-up repair and the delivery worker (recoverIssued).
  for (let attempt = 1; ; attempt++) {
    try {
      await postIssued(deps, bill);
      return await assignBillNumber(deps.models, bill);
    } catch (err) {
      if (attempt >= ISSUE_COMPLETION_ATTEMPTS) throw err;
      deps.logger.warn({ err, billId: bill._id, attempt }, 'completing an issued bill failed; retrying');
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** Attempts at posting and numbering an issued bill before the error is reported. */
export const ISSUE_COMPLETION_ATTEMPTS = 3;

/**
 * Start-up repair: every issued bill still without its number (its issuer died, or its completion
 * kept failing) gets its postings and its number, once it has been issued longer than
 * BILL_ISSUE_RECOVERY_AFTER_MS (younger ones may be numbered by another process right now; the
 * caller runs this again once that time has passed). Returns how many were repaired.
 */
export async function repairUnnumberedBills(deps: Deps, now = Date.now()): Promise<number> {
  const stuck = (await deps.models.Bill.find({ number: null, status: { $ne: 'DRAFT' } }).limit(10_000).lean().exec()) as BillDoc[];
  let repaired = 0;
  for (const bill of stuck) {
    try {
      if ((await recoverIssued(deps, bill, now)).number) repaired++;
    } catch (err) {
      deps.logger.error({ err, billId: bill._id }, 'an issued bill could not be numbered');
    }
  }
  if (repaired) deps.logger.warn({ repaired }, 'issued bills without a number were completed');
  return repaired;
}

/** Crash recovery (the delivery worker, a re-delivered selection): completes an issued bill whose issuer died after the flip. */
export async function recoverIssued(deps: Deps, bill: BillDoc, now = Date.now()): Promise<BillDoc> {
  return recoverBillNumber(deps.models, bill, now, () => postIssued(deps, bill), deps.config.BILL_ISSUE_RECOVERY_AFTER_MS);
}

async function postIssued(deps: Deps, bill: BillDoc): Promise<void> {
  const postedAt = bill.issuedAt;
  const sets = postingsForBillIssued({ billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, currency: bill.currency!, total: bill.total!, tax: taxOf(bill) });
  const ledger = sets.flatMap((s, i) =>
    s.postings.map((p, j) => ({ _id: `${bill._id}|issued|${i}|${j}`, event: s.event, account: p.account, amount: p.amount, currency: p.currency, billId: bill._id, paymentId: null, description: s.description, postedAt })),
  );
  await insertIgnoringDuplicates(deps.models.Ledger, ledger);
}
