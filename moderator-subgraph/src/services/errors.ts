import type { Identity, Role } from '@exchange/platform';
import { unauthenticated, forbidden } from '../domain/errors';

// The exchange's one error type and its helpers (pricing/src/app-error.ts), the same in both
// subgraphs; domain and services throw them alike and the platform's formatter maps them.
export { AppError, badInput, conflict, forbidden, notFound, unauthenticated, type AppErrorCode } from '../domain/errors';

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw unauthenticated('Authentication required: send "Authorization: Bearer <token>"');
  return identity;
}

export function requireRole(identity: Identity | null, ...roles: Role[]): Identity {
  const id = requireIdentity(identity);
  if (!roles.includes(id.role)) throw forbidden(`This operation requires the role ${roles.join(' or ')}`);
  return id;
}

/** Operators of the exchange and the services acting for it see every party's data. */
export function isOperator(identity: Identity | null): boolean {
  return !!identity && (identity.role === 'ADMIN' || identity.role === 'MODERATOR');
}
