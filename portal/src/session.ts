// The signed-in identity: a bearer token kept for this browser tab only (sessionStorage).
// The portal reads the token's role and subject to choose its pages; the API verifies it.

export type Role = 'BUYER' | 'CARRIER' | 'BILLING_AGENT' | 'ADMIN' | 'MODERATOR' | 'PARTNER' | 'METER' | 'LEC';

export interface Session {
  token: string;
  role: Role;
  sub: string;
  /** Seconds since the epoch, when the token says. */
  exp?: number;
  /** Display name of the party, once looked up. */
  name?: string;
}

const KEY = 'exchange-portal-session';

/** Decodes a JWT's claims without verifying them (the gateway does that). */
export function readToken(token: string): Omit<Session, 'name'> {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new Error('This is not a token: expected three dot-separated parts (a JWT).');
  let claims: Record<string, unknown>;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '=')), (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''),
    );
    claims = JSON.parse(json);
  } catch {
    throw new Error('The token could not be read: its middle part is not base64url JSON.');
  }
  if (typeof claims.sub !== 'string' || !claims.sub) throw new Error('The token names no party (no "sub" claim).');
  if (typeof claims.role !== 'string') throw new Error('The token names no role (no "role" claim).');
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  if (exp !== undefined && exp * 1000 <= Date.now()) throw new Error('The token has expired.');
  return { token: token.trim(), role: claims.role as Role, sub: claims.sub, exp };
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (s.exp !== undefined && s.exp * 1000 <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export const ROLE_LABEL: Record<string, string> = {
  BUYER: 'Buyer',
  CARRIER: 'Carrier',
  BILLING_AGENT: 'Billing agent',
  ADMIN: 'Administrator',
  MODERATOR: 'Moderator',
};
