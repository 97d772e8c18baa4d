import { createHash, randomBytes } from 'node:crypto';
import { badInput } from './errors';

/** A buyer switch's credential for the route server, as stored: never the key itself. */
export interface SwitchKey {
  id: string;
  buyerId: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const KEY_PREFIX = 'rsk_';
const NAME = /^[^\u0000-\u001f\u007f]{1,100}$/;

/** 32 random bytes (256 bits), base64url: guessing is hopeless, so a fast hash suffices to store it. */
export function generateSwitchKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex of the key. A slow password hash is for low-entropy secrets; these are random 256-bit
 * keys, and the route server must verify one in microseconds.
 */
export function hashSwitchKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function validateKeyName(v: unknown): string {
  if (typeof v !== 'string' || !NAME.test(v.trim())) throw badInput('name', 'name must be 1-100 printable characters');
  return v.trim();
}
