import { isDuplicateKey, hasRole, SEES_EVERY_PARTY } from '@exchange/platform';
import type { Identity, Logger, PubSub } from '@exchange/platform';
import { validateCurrency } from '@exchange/pricing';
import { parseDecimal, canonical } from '../../domain/money';
import { hasControlCharacters } from '../../domain/text';
import { type BillRelayDoc, type ModeratorModels } from '../../store/models';
import { badInput, conflict, forbidden, requireIdentity, requireRole } from '../errors';
import { TOPIC_BILL_RELAYED } from './topics';

export interface BillRelayInput {
  billId?: unknown;
  billNumber?: unknown;
  kind?: unknown;
  buyerId?: unknown;
  carrierId?: unknown;
  requestId?: unknown;
  total?: { amount?: unknown; currency?: unknown } | null;
  url?: unknown;
}

export interface BillRelayedEvent {
  relayId: string;
  buyerId: string;
  carrierId: string;
}

function str(field: string, v: unknown, max = 200): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw badInput(field, `${field} must be 1-${max} characters`);
  if (hasControlCharacters(v)) throw badInput(field, `${field} must not contain control characters`);
  return v.trim();
}

/** Billing hands bills whose delivery path is VIA_MODERATOR to the moderator, which shows them to both parties (claim 12). */
export class RelayService {
  constructor(private readonly models: ModeratorModels, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async relayBill(identity: Identity | null, input: BillRelayInput): Promise<BillRelayDoc> {
    requireRole(identity, ['BILLING_AGENT']);
    const billId = str('input.billId', input.billId);
    const billNumber = str('input.billNumber', input.billNumber);
    const kind = str('input.kind', input.kind, 50);
    const buyerId = str('input.buyerId', input.buyerId);
    const carrierId = str('input.carrierId', input.carrierId);
    const requestId = input.requestId === undefined || input.requestId === null ? null : str('input.requestId', input.requestId);
    if (!input.total || typeof input.total !== 'object') throw badInput('input.total', 'input.total is required');
    const amount = canonical(parseDecimal('input.total.amount', input.total.amount, { allowNegative: true }));
    const currency = validateCurrency('input.total.currency', input.total.currency);
    const url = str('input.url', input.url, 2000);
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      /* reported below */
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) throw badInput('input.url', 'input.url must be an http(s) URL');
    const [buyer, carrier] = await Promise.all([
      this.models.Buyer.exists({ _id: buyerId }).exec(),
      this.models.Carrier.exists({ _id: carrierId }).exec(),
    ]);
    if (!buyer) throw badInput('input.buyerId', 'input.buyerId is not a registered buyer');
    if (!carrier) throw badInput('input.carrierId', 'input.carrierId is not a registered carrier');

    const doc: BillRelayDoc = {
      _id: `relay_${billId}`,
      billId,
      billNumber,
      kind,
      buyerId,
      carrierId,
      requestId,
      total: { amount, currency },
      url,
      recipients: [buyerId, carrierId],
      relayedAt: new Date(),
    };
    try {
      await this.models.BillRelay.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.models.BillRelay.findOne({ billId }).lean().exec();
      if (!existing) throw err;
      if (existing.billNumber !== billNumber || existing.total.amount !== amount || existing.buyerId !== buyerId || existing.carrierId !== carrierId) {
        throw conflict(`Bill ${billId} was already relayed with different content`, 'input.billId');
      }
      return existing;
    }
    try {
      const event: BillRelayedEvent = { relayId: doc._id, buyerId, carrierId };
      await this.pubsub.publish(TOPIC_BILL_RELAYED, event);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'publish failed');
    }
    return doc;
  }

  async list(identity: Identity | null, first = 50): Promise<BillRelayDoc[]> {
    const me = requireIdentity(identity);
    const limit = Math.max(1, Math.min(first ?? 50, 200));
    let q: Record<string, unknown>;
    if (me.role === 'BUYER') q = { buyerId: me.sub };
    else if (me.role === 'CARRIER') q = { carrierId: me.sub };
    else if (hasRole(me, SEES_EVERY_PARTY)) q = {};
    else throw forbidden('Only buyers, carriers and operators see relayed bills');
    return this.models.BillRelay.find(q).sort({ relayedAt: -1 }).limit(limit).lean().exec();
  }
}

export function canSeeRelay(identity: Identity | null, e: { buyerId: string; carrierId: string }): boolean {
  if (!identity) return false;
  if (hasRole(identity, SEES_EVERY_PARTY)) return true;
  if (identity.role === 'BUYER') return identity.sub === e.buyerId;
  if (identity.role === 'CARRIER') return identity.sub === e.carrierId;
  return false;
}
