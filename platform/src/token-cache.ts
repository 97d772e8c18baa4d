import type { Identity } from './roles';

/**
 * Identities of tokens already verified, kept until the token's own `exp` (never past it), so a
 * caller sending the same bearer token on every request pays for one signature check, not one per
 * request. Bounded: beyond `maxEntries` the least recently used entry is dropped. Only successful
 * verifications are stored; a token that failed is verified (and refused) again every time.
 */
export class TokenCache {
  private readonly entries = new Map<string, { identity: Identity; expiresAtMs: number }>();

  constructor(readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** The identity of `token` while `nowMs` is before its expiry; an expired entry is dropped. */
  get(token: string, nowMs = Date.now()): Identity | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    this.entries.delete(token);
    if (nowMs >= hit.expiresAtMs) return undefined;
    // Re-inserted: Map order is recency order, so the first key is the least recently used.
    this.entries.set(token, hit);
    return hit.identity;
  }

  set(token: string, identity: Identity, expiresAtMs: number, nowMs = Date.now()): void {
    if (!(expiresAtMs > nowMs) || this.maxEntries <= 0) return;
    this.entries.delete(token);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { identity, expiresAtMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
