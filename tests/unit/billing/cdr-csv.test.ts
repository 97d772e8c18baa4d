import { createHash } from 'node:crypto';
import { CDR_COLUMNS, CDR_CSV_LAYOUT, mapCdrRow, resolveColumns } from '../../../billing-subgraph/src/domain/cdr-csv';
import { validateUsageRecord } from '../../../billing-subgraph/src/domain/usage';

const defaults = { source: 'MEASURING_EQUIPMENT' as const, buyerId: 'B', carrierId: 'C', equipmentId: 'sw1' };
const asterisk = {
  uniqueid: '1700000000.1', src: '15551234567', dst: '0044 20 7946 0000', start: '2026-11-03 10:00:00',
  answer: '2026-11-03 10:00:05', end: '2026-11-03 10:01:10', duration: '70', billsec: '65', disposition: 'ANSWERED',
};
const ok = (r: ReturnType<typeof mapCdrRow>) => {
  if (!r.ok) throw new Error(r.reason);
  return r;
};

describe('mapCdrRow', () => {
  it('maps an Asterisk-style row: answer not start, billsec not duration, 00 prefix stripped', () => {
    const r = ok(mapCdrRow(asterisk, 2, defaults));
    expect(r.record).toEqual({
      recordId: '1700000000.1', source: 'MEASURING_EQUIPMENT', equipmentId: 'sw1', buyerId: 'B', carrierId: 'C',
      intervalStart: '2026-11-03T10:00:05.000Z', intervalEnd: '2026-11-03T10:01:10.000Z', serviceType: 'VOICE',
      quantity: '65', destination: '442079460000',
    });
    expect(r.derivedId).toBe(false);
    expect(r.lineNumber).toBe(2);
    expect(validateUsageRecord(r.record, 0, new Date('2026-11-10T00:00:00Z')).ok).toBe(true);
  });

  it('accepts canonical names in any case and 3GPP camelCase names', () => {
    const canonical = ok(mapCdrRow({
      RECORD_ID: 'r-1', 'Calling Number': '1555', CALLED_NUMBER: '+33 1 23 45 67 89', Answer_Time: '2026-11-03T10:00:00Z',
      End_Time: '2026-11-03T10:00:30Z', DURATION: '30', Buyer_ID: 'B7', Carrier_ID: 'C7', Request_ID: 'req-9', End_User_ID: 'eu-1', Equipment_ID: 'sw9',
    }, 2, { source: 'CARRIER' }));
    expect(canonical.record).toMatchObject({ recordId: 'r-1', destination: '33123456789', buyerId: 'B7', carrierId: 'C7', requestId: 'req-9', endUserId: 'eu-1', equipmentId: 'sw9', quantity: '30', source: 'CARRIER' });

    const tgpp = ok(mapCdrRow({
      callingNumber: '1555', calledNumber: 'sip:+4930123456@gw.example', answerTime: '2026-11-03T11:00:00+01:00',
      releaseTime: '2026-11-03T11:02:00+01:00', callDuration: '120', recordingEntity: 'msc-3',
    }, 5, defaults));
    expect(tgpp.record).toMatchObject({ destination: '4930123456', intervalStart: '2026-11-03T10:00:00.000Z', quantity: '120', equipmentId: 'msc-3' });
  });

  it('accepts the other aliases', () => {
    const r = ok(mapCdrRow({ cdr_id: 'x', caller: '1', callee: '4412', answer: '1793750400', release_time: '1793750460', call_duration: '60', switch: 'sw2' }, 2, defaults));
    expect(r.record).toMatchObject({ recordId: 'x', destination: '4412', intervalStart: '2026-11-04T00:00:00.000Z', equipmentId: 'sw2' });
    const r2 = ok(mapCdrRow({ a_number: '1', b_number: '4412', answer_time: '2026-11-03T10:00:00Z', billsec: '5' }, 2, defaults));
    expect(r2.record.intervalEnd).toBe('2026-11-03T10:00:05.000Z');
  });

  it('derives a deterministic id from equipment, calling, called and answer time', () => {
    const { uniqueid: _drop, ...row } = asterisk;
    const r = ok(mapCdrRow(row, 2, defaults));
    const expected = createHash('sha256').update(['sw1', '15551234567', '442079460000', '2026-11-03T10:00:05.000Z'].join('\u001f')).digest('hex');
    expect(r.record.recordId).toBe(`cdr-${expected}`);
    expect(r.derivedId).toBe(true);
    // Same call re-exported with other punctuation and time format: same id.
    const again = ok(mapCdrRow({ ...row, src: '+1 555 123 4567', dst: '+44 20 7946 0000', answer: '2026-11-03T11:00:05+01:00' }, 9, defaults));
    expect(again.record.recordId).toBe(r.record.recordId);
    // A different call: different id.
    expect(ok(mapCdrRow({ ...row, answer: '2026-11-03 10:00:06' }, 2, defaults)).record.recordId).not.toBe(r.record.recordId);
    expect(ok(mapCdrRow(row, 2, { ...defaults, equipmentId: 'sw2' })).record.recordId).not.toBe(r.record.recordId);
  });

  it('derives the duration or the end time when one is missing, keeping fractions to the millisecond (billing rounds by the tariff)', () => {
    expect(ok(mapCdrRow({ dst: '4412', answer_time: '2026-11-03T10:00:00Z', end_time: '2026-11-03T10:00:42.2Z' }, 2, defaults)).record.quantity).toBe('42.2');
    const r = ok(mapCdrRow({ dst: '4412', answer_time: '2026-11-03T10:00:00Z', duration: '12.3' }, 2, defaults));
    expect(r.record.quantity).toBe('12.3');
    expect(r.record.intervalEnd).toBe('2026-11-03T10:00:12.300Z');
    // A fourth decimal rounds to the nearest millisecond, never up to a whole second.
    expect(ok(mapCdrRow({ dst: '4412', answer_time: '2026-11-03T10:00:00Z', duration: '65.4325' }, 2, defaults)).record.quantity).toBe('65.433');
  });

  it('skips unanswered attempts', () => {
    expect(mapCdrRow({ ...asterisk, answer: '', billsec: '0' }, 7, defaults)).toEqual({ ok: false, lineNumber: 7, skipped: true, reason: expect.stringMatching(/unanswered/) });
  });

  it.each([
    [{ ...asterisk, answer: 'soon', start: '' }, /answer_time/],
    [{ ...asterisk, answer: '', start: '' }, /answer_time .*required/],
    [{ ...asterisk, dst: '020 7946 0000' }, /called_number/],
    [{ ...asterisk, dst: '' }, /called_number .*required/],
    [{ ...asterisk, billsec: 'abc' }, /duration/],
    [{ ...asterisk, end: 'later' }, /end_time/],
  ])('rejects a bad row %#', (row, reason) => {
    const r = mapCdrRow(row, 3, defaults);
    expect(r).toMatchObject({ ok: false, skipped: false, lineNumber: 3 });
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('needs a buyer and a carrier from the row or the defaults', () => {
    expect(mapCdrRow(asterisk, 2, { source: 'CARRIER', carrierId: 'C' })).toMatchObject({ ok: false, reason: expect.stringMatching(/buyer_id/) });
    expect(mapCdrRow(asterisk, 2, { source: 'CARRIER', buyerId: 'B' })).toMatchObject({ ok: false, reason: expect.stringMatching(/carrier_id/) });
    expect(ok(mapCdrRow({ ...asterisk, buyer_id: 'B-row' }, 2, defaults)).record.buyerId).toBe('B-row');
  });
});

describe('CDR layout', () => {
  it('documents every canonical column and alias', () => {
    for (const [col, aliases] of Object.entries(CDR_COLUMNS)) {
      expect(CDR_CSV_LAYOUT).toContain(col);
      for (const a of aliases) expect(CDR_CSV_LAYOUT).toContain(a);
    }
  });
  it('resolves a header row to columns and reports unused headers', () => {
    expect(resolveColumns(Object.keys(asterisk))).toEqual({
      columns: { record_id: 'uniqueid', calling_number: 'src', called_number: 'dst', answer_time: 'answer', end_time: 'end', duration: 'billsec', disposition: 'disposition' },
      ignored: [],
    });
  });
});
