import { hasRole, SEES_EVERY_PARTY, type Identity } from '@exchange/platform';
import { badInput } from '../domain/errors';

// The exchange's one error type and its helpers (pricing/src/app-error.ts), the same in both
// subgraphs.
export { AppError, badInput, conflict, forbidden, notFound, unauthenticated, type AppErrorCode } from '../domain/errors';

// The role checks are the platform's (one signature for both subgraphs).
export { hasRole, requireIdentity, requireRole, RUNS_BILLING, SEES_EVERY_PARTY } from '@exchange/platform';

/** May this identity see data of a bill/record with this buyer and carrier? */
export function maySeeParty(id: Identity, buyerId: string | undefined | null, carrierId: string | undefined | null): boolean {
  if (hasRole(id, SEES_EVERY_PARTY)) return true;
  if (id.role === 'BUYER') return id.sub === buyerId;
  if (id.role === 'CARRIER') return id.sub === carrierId;
  return false;
}

/**
 * Whether a billIssued event reaches this subscriber: each bill is announced once per recipient
 * (services/bill-run/delivery.ts), the buyer's announcement to the buyer and the operators, the carrier's
 * to the carrier, so nobody gets a bill twice. An event without a recipient goes to everyone concerned.
 */
export function receivesBillIssued(id: Identity, e: { buyerId: string; carrierId: string; recipientRole?: 'BUYER' | 'CARRIER' }): boolean {
  if (!e.recipientRole) return maySeeParty(id, e.buyerId, e.carrierId);
  if (e.recipientRole === 'CARRIER') return id.role === 'CARRIER' && id.sub === e.carrierId;
  return hasRole(id, SEES_EVERY_PARTY) || (id.role === 'BUYER' && id.sub === e.buyerId);
}

/** Mongo filter restricting a query on {buyerId, carrierId} to what the identity may see; null = nothing. */
export function partyScope(id: Identity): Record<string, string> | null {
  if (hasRole(id, SEES_EVERY_PARTY)) return {};
  if (id.role === 'BUYER') return { buyerId: id.sub };
  if (id.role === 'CARRIER') return { carrierId: id.sub };
  return null;
}

export const reporterLabel = (id: { role: string; sub: string }) => `${id.role}:${id.sub}`;

export function pageSize(first: number | null | undefined, dflt: number, max: number, field = 'first'): number {
  if (first === undefined || first === null) return dflt;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badInput(field, `${field} must be between 1 and ${max}`);
  return first;
}

/** A buyer's bills: the buyer itself and operators; its carriers too (the listing then keeps their bills with it). */
export function maySeeBuyerBills(id: Identity, buyerId: string): boolean {
  return maySeeParty(id, buyerId, null) || id.role === 'CARRIER';
}
