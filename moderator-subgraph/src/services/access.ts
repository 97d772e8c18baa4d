import { hasRole, SEES_EVERY_PARTY, type Identity } from '@exchange/platform';
import type { BidDoc, SelectionDoc, ServiceRequestDoc } from '../store/models';

/**
 * Who may see what. FULL: the buyer that owns the request and the exchange's operators.
 * CARRIER: a carrier the request was distributed to (no buyer identity, anonymised board).
 * PARTNER: the anonymised board only. null: nothing at all.
 */
export type RequestView = 'FULL' | 'CARRIER' | 'PARTNER' | null;


export function requestView(identity: Identity | null, req: Pick<ServiceRequestDoc, 'buyerId' | 'carrierIds'>): RequestView {
  if (!identity) return null;
  if (hasRole(identity, SEES_EVERY_PARTY)) return 'FULL';
  switch (identity.role) {
    case 'BUYER':
      return req.buyerId === identity.sub ? 'FULL' : null;
    case 'CARRIER':
      return (req.carrierIds ?? []).includes(identity.sub) ? 'CARRIER' : null;
    case 'PARTNER':
      return 'PARTNER';
    default:
      return null;
  }
}

export function canSeeBid(identity: Identity | null, bid: Pick<BidDoc, 'carrierId'>, req: Pick<ServiceRequestDoc, 'buyerId' | 'carrierIds'> | null): boolean {
  if (!identity) return false;
  if (identity.role === 'CARRIER') return bid.carrierId === identity.sub;
  return !!req && requestView(identity, req) === 'FULL';
}

export function canSeeSelection(identity: Identity | null, sel: Pick<SelectionDoc, 'buyerId' | 'carrierId'>): boolean {
  if (!identity) return false;
  if (hasRole(identity, SEES_EVERY_PARTY)) return true;
  if (identity.role === 'BUYER') return sel.buyerId === identity.sub;
  if (identity.role === 'CARRIER') return sel.carrierId === identity.sub;
  return false;
}

/**
 * What a carrier may see of a buyer (issue 12: one policy, in both subgraphs): the carrier
 * selected for one of the buyer's requests is its counterparty on the bills it must read, so it
 * sees the buyer's id, name, reseller flag and registration date, never the reseller's end users;
 * any other carrier, and partners, see nothing of the buyer.
 */
export const COUNTERPARTY_BUYER_FIELDS = ['id', 'name', 'isReseller', 'createdAt'] as const;

/** A buyer's identity is hidden from carriers (except its selected carriers, see COUNTERPARTY_BUYER_FIELDS) and partners. */
export function canSeeBuyer(identity: Identity | null, buyerId: string): boolean {
  if (!identity) return false;
  if (hasRole(identity, SEES_EVERY_PARTY)) return true;
  return identity.role === 'BUYER' && identity.sub === buyerId;
}

/**
 * A carrier sees itself; buyers see the carriers bidding for them and billing them; carriers never
 * see other carriers and partners see none.
 */
export function canSeeCarrier(identity: Identity | null, carrierId: string): boolean {
  if (!identity) return false;
  if (hasRole(identity, SEES_EVERY_PARTY)) return true;
  if (identity.role === 'CARRIER') return identity.sub === carrierId;
  return identity.role === 'BUYER';
}

/** The `carrier(id)` root field: operators and the carrier itself (buyers read carriers through their requests). */
export function mayReadCarrierRecord(identity: Identity, carrierId: string): boolean {
  return hasRole(identity, SEES_EVERY_PARTY) || (identity.role === 'CARRIER' && identity.sub === carrierId);
}

/**
 * A carrier entity fetched by id: operators and the carrier itself outright; a buyer only one it
 * has dealt with (a request of the buyer was distributed to it), which the caller looks up.
 */
export function carrierEntityAccess(identity: Identity | null, carrierId: string): 'YES' | 'NO' | 'IF_DEALT_WITH' {
  if (!identity || !canSeeCarrier(identity, carrierId)) return 'NO';
  return identity.role === 'BUYER' ? 'IF_DEALT_WITH' : 'YES';
}

/** requestDistributed: every event for operators, a carrier's own for carriers, nothing for anyone else (null). */
export function distributionAudience(identity: Identity): 'ALL' | 'OWN' | null {
  if (hasRole(identity, SEES_EVERY_PARTY)) return 'ALL';
  return identity.role === 'CARRIER' ? 'OWN' : null;
}

/** billRelayed: buyers, carriers and operators subscribe (each event then passes canSeeRelay). */
export function receivesRelays(identity: Identity): boolean {
  return hasRole(identity, SEES_EVERY_PARTY) || identity.role === 'BUYER' || identity.role === 'CARRIER';
}

/** A selection's billing delivery state is for the exchange's operators (ADMIN, MODERATOR) only. */
export function seesBillingDelivery(identity: Identity | null): boolean {
  return identity?.role === 'ADMIN' || identity?.role === 'MODERATOR';
}
