import { validateUsageRecord, MAX_VOICE_SECONDS } from '../../../billing-subgraph/src/domain/usage';

const NOW = new Date('2026-11-10T00:00:00Z');
const valid = () => ({
  recordId: 'sw1-000123',
  source: 'MEASURING_EQUIPMENT',
  equipmentId: 'sw1',
  buyerId: 'buyer-1',
  carrierId: 'carrier-1',
  requestId: 'req-1',
  endUserId: 'eu-7',
  intervalStart: '2026-11-03T10:00:05Z',
  intervalEnd: '2026-11-03T10:01:10Z',
  serviceType: 'VOICE',
  quantity: '65',
  destination: '+442079460000',
  qos: { asrPercent: 55.5, acdSeconds: 180, pddMs: 2100, latencyMs: 40, jitterMs: 3, lossPercent: 0.1 },
  minBandwidthMbps: '0.064',
  maxBandwidthMbps: '0.064',
});
const validData = () => ({
  recordId: 'meter-9',
  source: 'CARRIER',
  buyerId: 'buyer-1',
  carrierId: 'carrier-1',
  intervalStart: '2026-11-03T00:00:00Z',
  intervalEnd: '2026-11-03T00:10:00Z',
  serviceType: 'DATA',
  quantity: '1000000000000',
  volumeSamples: [
    { at: '2026-11-03T00:00:00Z', mbps: '120.5' },
    { at: '2026-11-03T00:05:00Z', mbps: '80' },
  ],
});

const check = (patch: Record<string, unknown>, base: Record<string, unknown> = valid()) =>
  validateUsageRecord({ ...base, ...patch }, 3, NOW);
const failure = (patch: Record<string, unknown>, base?: Record<string, unknown>) => {
  const r = check(patch, base);
  if (r.ok) throw new Error(`expected rejection for ${JSON.stringify(patch)}`);
  expect(r.index).toBe(3);
  return r;
};

describe('validateUsageRecord — accepted records', () => {
  it('normalizes a full voice record', () => {
    const r = validateUsageRecord(valid(), 0, NOW);
    expect(r).toEqual({
      ok: true,
      record: {
        ...valid(),
        intervalStart: new Date('2026-11-03T10:00:05Z'),
        intervalEnd: new Date('2026-11-03T10:01:10Z'),
        destination: '442079460000',
      },
    });
  });

  it('normalizes a data record with samples', () => {
    const r = validateUsageRecord(validData(), 0, NOW);
    expect(r.ok && r.record.volumeSamples).toEqual([
      { at: new Date('2026-11-03T00:00:00Z'), mbps: '120.5' },
      { at: new Date('2026-11-03T00:05:00Z'), mbps: '80' },
    ]);
  });

  it('accepts a minimal record, treats null optionals as absent, strips leading zeros', () => {
    const r = validateUsageRecord(
      { recordId: 'x', source: 'LOCAL_EXCHANGE_CARRIER', buyerId: 'b', carrierId: 'c', intervalStart: '2026-11-03T10:00:00+01:00',
        intervalEnd: '2026-11-03T09:30:00Z', serviceType: 'VOICE', quantity: '007', requestId: null, qos: null },
      0, NOW,
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.record.quantity).toBe('7');
      expect(r.record.intervalStart.toISOString()).toBe('2026-11-03T09:00:00.000Z');
      expect('requestId' in r.record).toBe(false);
    }
  });

  it('accepts the voice maximum, zero quantity and an end up to a day ahead', () => {
    expect(check({ quantity: String(MAX_VOICE_SECONDS), intervalStart: '2026-10-09T00:00:00Z', intervalEnd: '2026-11-09T00:00:00Z' }).ok).toBe(true);
    expect(check({ quantity: '0' }).ok).toBe(true);
    expect(check({ intervalStart: '2026-11-10T12:00:00Z', intervalEnd: '2026-11-11T00:00:00Z' }).ok).toBe(true);
  });
});

describe('validateUsageRecord — rejections name the field', () => {
  it.each([[null], ['a string'], [[valid()]], [42]])('refuses a non-object record %#', (raw) => {
    const r = validateUsageRecord(raw, 0, NOW);
    expect(r).toMatchObject({ ok: false, field: 'record' });
  });

  it('refuses unknown keys such as an operator', () => {
    expect(failure({ $where: 'sleep(1000)' }).field).toBe('$where');
    expect(failure({ quantitiy: '5' }).field).toBe('quantitiy');
  });

  it.each([
    ['recordId', { $gt: '' }, /must be a string/],
    ['recordId', undefined, /required/],
    ['recordId', '', /1 to 200/],
    ['recordId', 'x'.repeat(201), /1 to 200/],
    ['recordId', '$cmd', /must not start with '\$'/],
    ['recordId', 'a\u0000b', /control/],
    ['recordId', ' padded', /spaces/],
    ['buyerId', { $ne: null }, /must be a string/],
    ['buyerId', undefined, /required/],
    ['carrierId', ['c'], /must be a string \(got array\)/],
    ['carrierId', null, /required/],
    ['equipmentId', 42, /must be a string/],
    ['requestId', { $exists: true }, /must be a string/],
    ['endUserId', '', /1 to 200/],
    ['source', 'SWITCH', /MEASURING_EQUIPMENT/],
    ['source', undefined, /required/],
    ['serviceType', 'SMS', /VOICE or DATA/],
    ['serviceType', undefined, /required/],
  ])('%s = %j', (field, value, reason) => {
    const r = failure({ [field]: value });
    expect(r.field).toBe(field);
    expect(r.reason).toMatch(reason);
    expect(r.reason).toContain(field);
  });

  it.each([
    ['1.5555'], ['1.'], ['.5'], ['-1'], ['-0.5'], ['1e3'], ['NaN'], ['Infinity'], [''], [' 5'], ['1234567890123456789'], [60], [65.4], [NaN], [Infinity], [{ $gt: 0 }],
  ])('refuses quantity %j', (q) => {
    expect(failure({ quantity: q }).field).toBe('quantity');
  });

  it('a DATA quantity is whole bytes: a fraction is refused', () => {
    expect(check({ quantity: '1000.5' }, validData())).toMatchObject({ ok: false, field: 'quantity', reason: expect.stringMatching(/integer string of bytes/) });
  });

  it('caps voice seconds at 31 days', () => {
    expect(failure({ quantity: String(MAX_VOICE_SECONDS + 1) }).reason).toMatch(/at most 2678400/);
  });

  it.each([
    ['intervalStart', '2026-02-30T00:00:00Z'],
    ['intervalStart', 'yesterday'],
    ['intervalStart', '2026-11-03T10:00:05'],
    ['intervalStart', '2026-11-03'],
    ['intervalStart', 1762164005000],
    ['intervalEnd', '2026-13-01T00:00:00Z'],
    ['intervalEnd', '2026-11-03T24:00:00Z'],
    ['intervalEnd', undefined],
  ])('refuses %s = %j', (field, value) => {
    expect(failure({ [field]: value }).field).toBe(field);
  });

  it('refuses reversed, empty and far-future intervals', () => {
    expect(failure({ intervalStart: '2026-11-03T10:01:10Z', intervalEnd: '2026-11-03T10:00:05Z' })).toMatchObject({ field: 'intervalEnd', reason: expect.stringMatching(/after intervalStart/) });
    expect(failure({ intervalEnd: '2026-11-03T10:00:05Z' }).field).toBe('intervalEnd');
    expect(failure({ intervalStart: '2026-11-10T12:00:00Z', intervalEnd: '2026-11-11T00:00:01Z' }).reason).toMatch(/future/);
  });

  it.each([['0207946000'], ['+0207946000'], ['4420794600001234'], ['44-20'], ['+'], [442079460000]])('refuses destination %j', (d) => {
    expect(failure({ destination: d }).field).toBe('destination');
  });

  it.each([
    ['asrPercent', 101], ['asrPercent', -0.1], ['asrPercent', NaN], ['asrPercent', '50'], ['lossPercent', 100.5],
    ['latencyMs', Infinity], ['jitterMs', -1], ['pddMs', -Infinity], ['acdSeconds', -3], ['mosScore', 4],
  ])('refuses qos.%s = %j', (key, value) => {
    expect(failure({ qos: { [key]: value } }).field).toBe(`qos.${key}`);
  });

  it('refuses a non-object qos', () => {
    expect(failure({ qos: [1, 2] }).field).toBe('qos');
  });

  it('refuses bad or inverted bandwidth', () => {
    expect(failure({ minBandwidthMbps: '10', maxBandwidthMbps: '5' }).field).toBe('minBandwidthMbps');
    expect(failure({ minBandwidthMbps: 'NaN' }).field).toBe('minBandwidthMbps');
    expect(failure({ maxBandwidthMbps: '1e3' }).field).toBe('maxBandwidthMbps');
    expect(failure({ maxBandwidthMbps: '-1' }).field).toBe('maxBandwidthMbps');
    expect(failure({ maxBandwidthMbps: 100 }).field).toBe('maxBandwidthMbps');
  });

  it('refuses bad volume samples', () => {
    const d = validData();
    expect(failure({ volumeSamples: [{ at: '2026-11-03T00:10:01Z', mbps: '1' }] }, d).field).toBe('volumeSamples[0].at');
    expect(failure({ volumeSamples: [{ at: '2026-11-02T23:59:59Z', mbps: '1' }] }, d).field).toBe('volumeSamples[0].at');
    expect(failure({ volumeSamples: [d.volumeSamples[0], { at: '2026-11-03T00:05:00Z', mbps: '-1' }] }, d).field).toBe('volumeSamples[1].mbps');
    expect(failure({ volumeSamples: [{ at: '2026-11-03T00:05:00Z', mbps: 'Infinity' }] }, d).field).toBe('volumeSamples[0].mbps');
    expect(failure({ volumeSamples: [{ at: '2026-11-03T00:05:00Z' }] }, d).field).toBe('volumeSamples[0].mbps');
    expect(failure({ volumeSamples: [{ at: '2026-11-03T00:05:00Z', mbps: '1', $set: 1 }] }, d).field).toBe('volumeSamples[0].$set');
    expect(failure({ volumeSamples: 'lots' }, d).field).toBe('volumeSamples');
    const many = Array.from({ length: 10_001 }, () => ({ at: '2026-11-03T00:05:00Z', mbps: '1' }));
    expect(failure({ volumeSamples: many }, d).reason).toMatch(/at most 10000/);
    expect(check({ volumeSamples: many.slice(1) }, d).ok).toBe(true);
    expect(failure({ volumeSamples: d.volumeSamples }).reason).toMatch(/only apply to DATA/);
  });
});

describe('validateUsageRecord — usage that cannot be true (issue 12, item 7)', () => {
  it('refuses a VOICE quantity longer than its interval: 2,678,400 s in 1 s', () => {
    const r = validateUsageRecord({ ...valid(), intervalStart: '2026-11-03T10:00:00Z', intervalEnd: '2026-11-03T10:00:01Z', quantity: '2678400' }, 0, NOW);
    expect(r).toMatchObject({ ok: false, field: 'quantity', reason: expect.stringMatching(/must not exceed its interval \(1 s\)/) });
    expect(validateUsageRecord({ ...valid(), quantity: '66' }, 0, NOW)).toMatchObject({ ok: false, field: 'quantity' });
    expect(validateUsageRecord({ ...valid(), quantity: '65' }, 0, NOW).ok).toBe(true);
  });

  it('keeps an exact fractional VOICE duration (up to 3 decimals), canonical', () => {
    // Kamailio's acc: 65.432 s; the interval 10:00:05–10:01:10.432 holds it exactly.
    const exact = validateUsageRecord({ ...valid(), intervalEnd: '2026-11-03T10:01:10.432Z', quantity: '65.432' }, 0, NOW);
    expect(exact).toMatchObject({ ok: true, record: { quantity: '65.432' } });
    expect(validateUsageRecord({ ...valid(), quantity: '65.100' }, 0, NOW)).toMatchObject({ ok: true, record: { quantity: '65.1' } });
    expect(validateUsageRecord({ ...valid(), quantity: '065.000' }, 0, NOW)).toMatchObject({ ok: true, record: { quantity: '65' } });
  });

  it('compares the duration with the interval exactly, allowing an interval truncated to whole seconds (< 1 s over)', () => {
    // Start and end in whole seconds (65 s), duration in ms: 65.432 and 65.999 s are the same call.
    expect(validateUsageRecord({ ...valid(), quantity: '65.432' }, 0, NOW).ok).toBe(true);
    expect(validateUsageRecord({ ...valid(), quantity: '65.999' }, 0, NOW).ok).toBe(true);
    // 1 s over is not truncation: refused, exactly at the boundary (no float error either side).
    expect(validateUsageRecord({ ...valid(), quantity: '66' }, 0, NOW)).toMatchObject({ ok: false, field: 'quantity', reason: expect.stringMatching(/\(66 s\) must not exceed its interval \(65 s\) by 1 s or more/) });
    expect(validateUsageRecord({ ...valid(), quantity: '66.001' }, 0, NOW)).toMatchObject({ ok: false, field: 'quantity' });
    // An interval with milliseconds: 65.3 s holds 66.299 s, not 66.3 s (0.1 + 0.2 style sums stay exact).
    const ms = { ...valid(), intervalEnd: '2026-11-03T10:01:10.300Z' };
    expect(validateUsageRecord({ ...ms, quantity: '66.299' }, 0, NOW).ok).toBe(true);
    expect(validateUsageRecord({ ...ms, quantity: '66.3' }, 0, NOW)).toMatchObject({ ok: false, field: 'quantity', reason: expect.stringMatching(/interval \(65\.3 s\)/) });
  });

  it('refuses DATA faster than the configured maximum rate', () => {
    // 10 minutes: 400,000 Mbps × 600 s / 8 = 30,000,000,000,000 bytes at most.
    expect(validateUsageRecord({ ...validData(), quantity: '30000000000000' }, 0, NOW).ok).toBe(true);
    expect(validateUsageRecord({ ...validData(), quantity: '30000000000001' }, 0, NOW)).toMatchObject({ ok: false, field: 'quantity' });
    expect(validateUsageRecord({ ...validData(), quantity: '1000000000000' }, 0, NOW, { maxDataRateMbps: 10_000 })).toMatchObject({ ok: false, field: 'quantity', reason: expect.stringMatching(/10000 Mbps/) });
    expect(validateUsageRecord({ ...valid(), maxBandwidthMbps: '500000', minBandwidthMbps: '1' }, 0, NOW)).toMatchObject({ ok: false, field: 'maxBandwidthMbps' });
  });
});
