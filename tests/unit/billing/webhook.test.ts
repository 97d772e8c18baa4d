import { createHmac } from 'node:crypto';
import { backoffDelayMs, signWebhook, verifyWebhook } from '../../../billing-subgraph/src/domain/webhook';

const secret = 'whsec_test_0123456789';
const body = '{"event":"bill.issued","billId":"bill-1","total":"12.30"}';
const t = 1_793_750_400;

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in a t=…,v1=… header', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies a genuine signature within the tolerance', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook(secret, header, body, { nowSeconds: t })).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhook(secret, header, body, { nowSeconds: t + 300 }).ok).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a re-stamped header', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook(secret, header, body.replace('12.30', '1.23'), { nowSeconds: t })).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
    expect(verifyWebhook('whsec_other_secret', header, body, { nowSeconds: t })).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
    const restamped = header.replace(`t=${t}`, `t=${t + 10}`);
    expect(verifyWebhook(secret, restamped, body, { nowSeconds: t + 10 })).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
  });

  it('rejects an old or future timestamp (replay)', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook(secret, header, body, { nowSeconds: t + 301 })).toEqual({ ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    expect(verifyWebhook(secret, header, body, { nowSeconds: t - 301 })).toEqual({ ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    expect(verifyWebhook(secret, header, body, { nowSeconds: t + 1000, toleranceSeconds: 1000 }).ok).toBe(true);
  });

  it('rejects malformed headers', () => {
    for (const h of ['', 'v1=abc', `t=${t}`, `t=abc,v1=${'0'.repeat(64)}`, `t=${t},v1=xyz`]) {
      expect(verifyWebhook(secret, h, body, { nowSeconds: t })).toEqual({ ok: false, reason: 'MALFORMED_HEADER' });
    }
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const good = signWebhook(secret, t, body).split('v1=')[1];
    expect(verifyWebhook(secret, `t=${t},v1=${'0'.repeat(64)},v1=${good}`, body, { nowSeconds: t }).ok).toBe(true);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from 10 s and caps at one hour, deterministically', () => {
    expect([1, 2, 3, 4, 9, 10, 11, 1000].map((a) => backoffDelayMs(a))).toEqual([
      10_000, 20_000, 40_000, 80_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
    expect(backoffDelayMs(3, { baseMs: 100, maxMs: 250 })).toBe(250);
    expect(backoffDelayMs(2, { baseMs: 100, maxMs: 250 })).toBe(200);
  });
  it('refuses attempt numbers below 1', () => {
    expect(() => backoffDelayMs(0)).toThrow();
    expect(() => backoffDelayMs(1.5)).toThrow();
  });
});
