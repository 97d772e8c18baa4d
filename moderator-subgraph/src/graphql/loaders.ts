import DataLoader from 'dataloader';
import type { Model } from 'mongoose';
import type { Identity } from '@exchange/platform';
import type { AuctionLogEntry } from '../domain/auction-log';
import type { Dealings } from '../services/market';
import type { BidDoc, BillRelayDoc, BuyerDoc, CarrierDoc, ModeratorModels, SelectionDoc, ServiceRequestDoc } from '../store/models';

function byId<T extends { _id: string }>(model: Model<T>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const docs = (await model.find({ _id: { $in: ids as string[] } } as never).lean().exec()) as unknown as T[];
    const map = new Map(docs.map((d) => [d._id, d]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** One batch per entity type per tick, whatever the query shape: N entities cost one round trip. */
export function createLoaders(models: ModeratorModels, dealings: Dealings, identity: Identity | null) {
  const loaders = {
    /** Whether the calling buyer has dealt with each carrier (false for any other caller): a page's carriers in one batch. */
    dealtWith: new DataLoader<string, boolean>(async (carrierIds) => {
      if (identity?.role !== 'BUYER') return carrierIds.map(() => false);
      const yes = await dealings.dealtWith(identity.sub, carrierIds);
      return carrierIds.map((c) => yes.has(c));
    }),
    buyer: byId<BuyerDoc>(models.Buyer),
    carrier: byId<CarrierDoc>(models.Carrier),
    request: byId<ServiceRequestDoc>(models.ServiceRequest),
    bid: byId<BidDoc>(models.Bid),
    selection: byId<SelectionDoc>(models.Selection),
    relay: byId<BillRelayDoc>(models.BillRelay),
    /** All bids (history included) of each request. */
    bidsByRequest: new DataLoader<string, BidDoc[]>(async (ids) => {
      const docs = await models.Bid.find({ requestId: { $in: ids as string[] } }).sort({ submittedAt: 1 }).lean().exec();
      const out = new Map<string, BidDoc[]>(ids.map((id) => [id, []]));
      for (const d of docs) out.get(d.requestId)?.push(d);
      return ids.map((id) => out.get(id) ?? []);
    }),
    distributionsByRequest: new DataLoader<string, { carrierId: string; requestId: string; at: Date }[]>(async (ids) => {
      const docs = await models.Distribution.find({ requestId: { $in: ids as string[] } }).sort({ at: 1 }).lean().exec();
      const out = new Map<string, { carrierId: string; requestId: string; at: Date }[]>(ids.map((id) => [id, []]));
      for (const d of docs) out.get(d.requestId)?.push(d);
      return ids.map((id) => out.get(id) ?? []);
    }),
    /** The auction log of each request, in order. */
    logByRequest: new DataLoader<string, AuctionLogEntry[]>(async (ids) => {
      const docs = await models.AuctionLog.find({ requestId: { $in: ids as string[] } }).sort({ seq: 1 }).lean().exec();
      const out = new Map<string, AuctionLogEntry[]>(ids.map((id) => [id, []]));
      for (const d of docs) out.get(d.requestId)?.push(d);
      return ids.map((id) => out.get(id) ?? []);
    }),
    /** Forgets everything (subscriptions reuse one context across events). */
    clearAll() {
      for (const l of Object.values(loaders)) if (typeof l === 'object' && 'clearAll' in l) l.clearAll();
    },
  };
  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;
