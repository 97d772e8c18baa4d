import { forbidden, unauthenticated } from '@exchange/pricing';

/** Every role a token may carry. */
export const ROLES = ['BUYER', 'CARRIER', 'PARTNER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT', 'METER', 'LEC'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the verified `sub` and `role` claims of the bearer token. */
export interface Identity {
  sub: string;
  role: Role;
  /** The raw token, forwarded unchanged when a service calls another on the caller's behalf. */
  token: string;
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

// Role sets, named by what they may do. "Operator" meant three things before; these are they.

/** The exchange's people and the services acting for it: they see every party's data. */
export const SEES_EVERY_PARTY: readonly Role[] = ['ADMIN', 'MODERATOR', 'BILLING_AGENT'];
/** The exchange's administrators: operator endpoints (/metrics, `_service`) and admin-only mutations. */
export const ADMINISTRATORS: readonly Role[] = ['ADMIN'];
/** Who runs the billing computer: usage feeds and reporters, mediation policy, profiles, bill runs. */
export const RUNS_BILLING: readonly Role[] = ['ADMIN', 'BILLING_AGENT'];

/** The one role check: has `identity` (null: anonymous, which has none) one of `roles`? */
export function hasRole(identity: Identity | null | undefined, roles: readonly Role[]): boolean {
  return !!identity && roles.includes(identity.role);
}

/** The caller, or UNAUTHENTICATED when the request carried no valid token. */
export function requireIdentity(identity: Identity | null | undefined): Identity {
  if (!identity) throw unauthenticated('Authentication required: send "Authorization: Bearer <token>"');
  return identity;
}

/** The caller when it has one of `roles`; UNAUTHENTICATED without a token, FORBIDDEN (naming `what`, the operation) otherwise. */
export function requireRole(identity: Identity | null | undefined, roles: readonly Role[], what?: string): Identity {
  const id = requireIdentity(identity);
  if (!roles.includes(id.role)) {
    throw forbidden(what ? `${what} is reserved to ${roles.join(', ')}` : `This operation requires the role ${roles.join(' or ')}`);
  }
  return id;
}
