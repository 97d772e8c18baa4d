import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from '../../../billing-subgraph/src/domain/webhook';

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
