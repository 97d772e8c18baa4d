import { errorCodes, gql, startBilling, token } from '../../support/harness';
import { RECORD_SELECTION, recordSelection, selectionInput, type Billing } from './fixtures';

describe('recordSelection and the ADVANCE bill', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('stores the selection and issues the advance bill to buyer and carrier', async () => {
    const s = await recordSelection(b, {
      selectionId: 'sel-adv-1',
      quantity: '1000',
      incentive: { currency: 'USD', ratePerUnit: '0.020000', setupFee: '50', billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } },
    });
    expect(s).toMatchObject({ id: 'sel-adv-1', requestId: 'req-sel-adv-1', buyerId: 'buyer-1', carrierId: 'carrier-1', quantity: '1000', unit: 'MINUTE' });
    expect(s.incentive).toEqual({ currency: 'USD', ratePerUnit: '0.020000', tierModel: 'GRADUATED', tiers: [], billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } });
    const bill = s.advanceBill;
    expect(bill.kind).toBe('ADVANCE');
    expect(bill.status).toBe('ISSUED');
    expect(bill.number).toMatch(/^B-\d{4}-\d{2}-\d{6}$/);
    // 1000 min x 0.02 = 20.00 usage + 50 setup fee
    expect(bill.lines).toEqual([
      { kind: 'USAGE', amount: '20.000000', quantity: '1000', unit: 'MINUTE', tierIndex: 0, ratePerUnit: '0.02' },
      { kind: 'SETUP_FEE', amount: '50.000000', quantity: null, unit: null, tierIndex: null, ratePerUnit: null },
    ]);
    expect(bill.total).toEqual({ amount: '70.00', currency: 'USD' });
    const recipients = bill.deliveries.map((d: any) => `${d.recipientRole}:${d.recipientId}:${d.channel}:${d.state}`).sort();
    expect(recipients).toEqual([
      'BUYER:buyer-1:SUBSCRIPTION:DELIVERED',
      'BUYER:buyer-1:WEBSITE:DELIVERED',
      'CARRIER:carrier-1:SUBSCRIPTION:DELIVERED',
      'CARRIER:carrier-1:WEBSITE:DELIVERED',
    ]);
  });

  it('is idempotent: a re-delivery returns the stored record and never a second advance bill', async () => {
    const first = await recordSelection(b, { selectionId: 'sel-idem' });
    const again = await Promise.all([1, 2, 3].map(() => recordSelection(b, { selectionId: 'sel-idem', quantity: '999' })));
    for (const a of again) {
      expect(a.advanceBill.id).toBe(first.advanceBill.id);
      expect(a.quantity).toBe('100');
      expect(a.recordedAt).toBe(first.recordedAt);
    }
    expect(await b.models.Bill.countDocuments({ selectionIds: 'sel-idem' })).toBe(1);
    expect(await b.models.Selection.countDocuments({ _id: 'sel-idem' })).toBe(1);
  });

  it('concurrent first deliveries still yield one selection and one advance bill', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => recordSelection(b, { selectionId: 'sel-race' })));
    expect(new Set(results.map((r) => r.advanceBill.id)).size).toBe(1);
    expect(await b.models.Bill.countDocuments({ selectionIds: 'sel-race' })).toBe(1);
  });

  it('only the MODERATOR credential may record a selection', async () => {
    for (const role of ['BUYER', 'CARRIER', 'BILLING_AGENT', 'ADMIN'] as const) {
      const r = await gql(b.url, RECORD_SELECTION, { input: selectionInput({ selectionId: `sel-forbidden-${role}` }) }, await token(role, 'x'));
      expect(errorCodes(r)).toEqual(['FORBIDDEN']);
    }
    const anon = await gql(b.url, RECORD_SELECTION, { input: selectionInput({ selectionId: 'sel-anon' }) });
    expect(errorCodes(anon)).toEqual(['UNAUTHENTICATED']);
    expect(await b.models.Selection.countDocuments({ _id: /^sel-(forbidden|anon)/ })).toBe(0);
  });

  it('refuses a bad incentive or interval with BAD_USER_INPUT naming the field, writing nothing', async () => {
    const mod = await token('MODERATOR', 'moderator');
    const cases: [Record<string, unknown>, string][] = [
      [{ incentive: { currency: 'XXX', ratePerUnit: '1' } }, 'input.incentive.currency'],
      [{ incentive: { currency: 'USD', ratePerUnit: '1e-3' } }, 'input.incentive.ratePerUnit'],
      [{ incentive: { currency: 'USD', ratePerUnit: '1', tiers: [{ fromQuantity: '10', ratePerUnit: '1' }, { fromQuantity: '5', ratePerUnit: '1' }] } }, 'input.incentive.tiers[1].fromQuantity'],
      [{ end: '2026-09-01T00:00:00Z' }, 'input.interval.end'],
      [{ unit: 'GB' }, 'input.unit'],
      [{ quantity: '-5' }, 'input.quantity'],
    ];
    for (const [i, [o, field]] of cases.entries()) {
      const r = await gql(b.url, RECORD_SELECTION, { input: selectionInput({ selectionId: `sel-bad-${i}`, ...(o as object) }) }, mod);
      expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].extensions!.field).toBe(field);
    }
    expect(await b.models.Selection.countDocuments({ _id: /^sel-bad-/ })).toBe(0);
    expect(await b.models.Bill.countDocuments({ selectionIds: /^sel-bad-/ })).toBe(0);
  });
});
