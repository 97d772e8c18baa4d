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
