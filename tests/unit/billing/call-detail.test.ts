import { loadBillingConfig } from '../../../billing-subgraph/src/config';
import { callDetailRow, isAmbiguousLocal, localDateTime, periodRateMap } from '../../../billing-subgraph/src/domain';

const rec = {
  _id: 'switch-a:call-7',
  intervalStart: new Date('2026-11-01T03:30:00Z'),
  selectionId: 'sel-1',
  destination: '12125551234',
  endUserId: 'alice',
  unit: 'MINUTE',
  billableQuantity: '2',
  billableBaseQuantity: '120',
  amount: '0.200000',
  rates: ['0.1'],
};

describe('call-detail annex rows', () => {
  it('prints the start in the buyer zone and in UTC (New York on the night of the DST change)', () => {
    expect(localDateTime(new Date('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('2026-11-01 01:30:00');
    expect(localDateTime(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('2026-11-01 01:30:00');
    expect(localDateTime(new Date('2026-11-01T00:00:00Z'), 'UTC')).toBe('2026-11-01 00:00:00');
  });

  it('shows the record as rated, or at the tier its VOLUME period reached', () => {
    expect(callDetailRow(rec, 'America/New_York', new Map())).toEqual({
      recordId: 'switch-a:call-7', nature: 'CALL', seconds: '120', offset: 'UTC-04:00', ambiguous: false,
      startLocal: '2026-10-31 23:30:00', startUtc: '2026-11-01T03:30:00.000Z', calledNumber: '+12125551234', endUser: 'alice', quantity: '2', unit: 'MINUTE', rate: '0.1', amount: '0.200000',
    });
    const rates = periodRateMap([{ selectionId: 'sel-1', unit: 'MINUTE', ratePerUnit: '0.05' }, { selectionId: 'sel|2', unit: 'GB', ratePerUnit: '1.5' }]);
    expect(rates.get('sel|2|GB')).toBe('1.5');
    expect(callDetailRow({ ...rec, billableBaseQuantity: '100' }, 'UTC', rates)).toMatchObject({ rate: '0.05', amount: '0.083333' });
    expect(callDetailRow({ ...rec, destination: null, rates: ['0.1', '0.05'] }, 'UTC', new Map())).toMatchObject({ calledNumber: '', rate: '0.1/0.05' });
  });

  it('marks a local start that occurs twice (the repeated hour of a DST night) with its offset, and tells reversals and dispute corrections from calls', () => {
    const first = callDetailRow({ ...rec, intervalStart: new Date('2026-11-01T05:30:00Z') }, 'America/New_York', new Map());
    const second = callDetailRow({ ...rec, intervalStart: new Date('2026-11-01T06:30:00Z') }, 'America/New_York', new Map());
    expect([first.startLocal, first.offset, first.ambiguous]).toEqual(['2026-11-01 01:30:00', 'UTC-04:00', true]);
    expect([second.startLocal, second.offset, second.ambiguous]).toEqual(['2026-11-01 01:30:00', 'UTC-05:00', true]);
    expect(isAmbiguousLocal(new Date('2026-11-01T07:30:00Z'), 'America/New_York')).toBe(false);
    expect(isAmbiguousLocal(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe(true);
    expect(callDetailRow({ ...rec, _id: 'switch-a:call-7|superseded' }, 'UTC', new Map()).nature).toBe('REVERSAL');
    expect(callDetailRow({ ...rec, _id: 'dispute|dsp_1', destination: null, unit: 'GB' }, 'UTC', new Map())).toMatchObject({ nature: 'DISPUTE', seconds: '' });
  });

  it('BILL_PDF_CALL_DETAIL_MAX is validated: a whole number from 0 to 10000, 500 by default', () => {
    expect(loadBillingConfig({}).BILL_PDF_CALL_DETAIL_MAX).toBe(500);
    expect(loadBillingConfig({ BILL_PDF_CALL_DETAIL_MAX: '0' }).BILL_PDF_CALL_DETAIL_MAX).toBe(0);
    expect(() => loadBillingConfig({ BILL_PDF_CALL_DETAIL_MAX: '-1' })).toThrow(/BILL_PDF_CALL_DETAIL_MAX/);
    expect(() => loadBillingConfig({ BILL_PDF_CALL_DETAIL_MAX: 'many' })).toThrow(/BILL_PDF_CALL_DETAIL_MAX/);
  });
});
