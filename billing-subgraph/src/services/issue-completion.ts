import { postingsForBillIssued } from '../domain';
import { assignBillNumber, recoverBillNumber } from '../store/bill-numbers';
import type { BillDoc } from '../store/models';
import type { Deps } from './deps';
import { taxOf } from './bill-invoice';
import { insertIgnoringDuplicates } from './rating';

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
  await postIssued(deps, bill);
  return assignBillNumber(deps.models, bill);
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
