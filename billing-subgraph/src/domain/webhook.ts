import { createHmac, timingSafeEqual } from 'node:crypto';
import { badInput } from './errors';

/*
 * Bill-delivery webhooks are signed like Stripe's: header `t=<unix seconds>,v1=<hex>`, where
 * the HMAC-SHA256 covers "<t>.<raw body>". Signing the timestamp together with the body lets a
 * receiver refuse replays of an old delivery without keeping state.
 */

export const SIGNATURE_SCHEME = 'v1';
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (typeof secret !== 'string' || secret.length === 0) throw badInput('secret', 'secret must be a non-empty string');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw badInput('timestamp', 'timestamp must be whole unix seconds');
  return `t=${timestamp},${SIGNATURE_SCHEME}=${hmac(secret, timestamp, body)}`;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'MALFORMED_HEADER' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'SIGNATURE_MISMATCH' };

/**
 * Checks a signature header. Several v1 entries are accepted (any may match) so a receiver can
 * rotate secrets; the comparison is constant-time. `nowSeconds` is injectable for tests.
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): WebhookVerification {
  if (typeof header !== 'string') return { ok: false, reason: 'MALFORMED_HEADER' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    else if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'MALFORMED_HEADER' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'SIGNATURE_MISMATCH' };
}

/** Longest wait between two delivery attempts of a bill (the first wait is DELIVERY_BACKOFF_BASE_MS). */
export const BACKOFF_MAX_MS = 3_600_000;
