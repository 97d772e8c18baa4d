import DataLoader from 'dataloader';
import type { BaseContext } from '@exchange/platform';
import type { Deps } from '../services/deps';
import { outstandingOfParties } from '../services/payments';
import { fromStoredBillingRecord, type StoredBillingRecord } from '../store/billing-record-format';
import { profilesOf } from '../store/profiles';
import type { BillClaimDoc, BillDoc, BillingModels, BillingRecordDoc, DeliveryDoc, DisputeDoc, LedgerDoc, SelectionDoc, UsageDoc } from '../store/models';

export interface Loaders {
  bill: DataLoader<string, BillDoc | null>;
  selection: DataLoader<string, SelectionDoc | null>;
  usage: DataLoader<string, UsageDoc | null>;
  billingRecord: DataLoader<string, BillingRecordDoc | null>;
  claim: DataLoader<string, BillClaimDoc | null>;
  deliveries: DataLoader<string, DeliveryDoc[]>;
  /** A bill's disputes, oldest first (Bill.disputes and Bill.disputedAmount of a page of bills in one read). */
  disputesByBill: DataLoader<string, DisputeDoc[]>;
  ledgerByPayment: DataLoader<string, LedgerDoc[]>;
  billsByRequest: DataLoader<string, BillDoc[]>;
  outstandingByBuyer: DataLoader<string, { amount: string; currency: string }[]>;
  outstandingByCarrier: DataLoader<string, { amount: string; currency: string }[]>;
  /** A buyer's profile zone (UTC without a profile): the zone of its bills drafted without one. */
  buyerZone: DataLoader<string, string>;
}

export interface BillingContext extends BaseContext {
  models: BillingModels;
  deps: Deps;
  loaders: Loaders;
}

function byId<T extends { _id: string }>(ids: readonly string[], docs: T[]): (T | null)[] {
  const m = new Map(docs.map((d) => [d._id, d]));
  return ids.map((id) => m.get(id) ?? null);
}

function grouped<T>(ids: readonly string[], docs: T[], key: (d: T) => string): T[][] {
  const m = new Map<string, T[]>();
  for (const d of docs) {
    const k = key(d);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(d);
  }
  return ids.map((id) => m.get(id) ?? []);
}

/** Per-request loaders: N entity lookups cost one round trip per kind. */
export function createLoaders(models: BillingModels): Loaders {
  return {
    bill: new DataLoader(async (ids) => byId(ids, (await models.Bill.find({ _id: { $in: [...ids] } }).lean().exec()) as BillDoc[])),
    selection: new DataLoader(async (ids) => byId(ids, (await models.Selection.find({ _id: { $in: [...ids] } }).lean().exec()) as SelectionDoc[])),
    usage: new DataLoader(async (ids) => byId(ids, (await models.Usage.find({ _id: { $in: [...ids] } }).lean().exec()) as UsageDoc[])),
    billingRecord: new DataLoader(async (ids) => byId(ids, ((await models.BillingRecord.find({ _id: { $in: [...ids] } }).lean().exec()) as StoredBillingRecord[]).map(fromStoredBillingRecord))),
    claim: new DataLoader(async (ids) => byId(ids, (await models.BillClaim.find({ _id: { $in: [...ids] } }).select({ _id: 1, billId: 1 }).lean().exec()) as BillClaimDoc[])),
    disputesByBill: new DataLoader(async (ids) =>
      grouped(ids, ((await models.Dispute.find({ billId: { $in: [...ids] } }).lean().exec()) as DisputeDoc[]).sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime() || (a._id < b._id ? -1 : 1)), (d) => d.billId),
    ),
    deliveries: new DataLoader(async (ids) =>
      grouped(ids, ((await models.Delivery.find({ billId: { $in: [...ids] } }).lean().exec()) as DeliveryDoc[]).sort((a, b) => (a._id < b._id ? -1 : 1)), (d) => d.billId),
    ),
    // Keyed by `${billId}|${paymentId}`: every ledger lookup is filtered by the bill as well as the
    // payment id (a payment id is unique per bill only).
    ledgerByPayment: new DataLoader(async (keys) => {
      const pairs = keys.map((k) => [k.slice(0, k.indexOf('|')), k.slice(k.indexOf('|') + 1)] as const);
      const found = (await models.Ledger.find({ billId: { $in: [...new Set(pairs.map((p) => p[0]))] }, paymentId: { $in: [...new Set(pairs.map((p) => p[1]))] } }).lean().exec()) as LedgerDoc[];
      return grouped(keys, found.sort((a, b) => (a._id < b._id ? -1 : 1)), (d) => `${d.billId}|${d.paymentId}`);
    }),
    billsByRequest: new DataLoader(async (ids) =>
      grouped(ids, (await models.Bill.find({ requestId: { $in: [...ids] }, status: { $ne: 'DRAFT' } }).sort({ issuedAt: 1, _id: 1 }).lean().exec()) as BillDoc[], (b) => b.requestId!),
    ),
    outstandingByBuyer: new DataLoader((ids) => outstandingOfParties(models, 'buyerId', ids)),
    outstandingByCarrier: new DataLoader((ids) => outstandingOfParties(models, 'carrierId', ids)),
    buyerZone: new DataLoader(async (ids) => {
      const profiles = await profilesOf(models.BillingProfile, ids.map((id) => ({ id, role: 'BUYER' as const })));
      return ids.map((id) => profiles.get(id)!.timeZone);
    }),
  };
}
