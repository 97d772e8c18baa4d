import { Dec } from '../../../billing-subgraph/src/domain';
import { completeDraft } from '../../../billing-subgraph/src/services/bill-run';
import { newBillId } from '../../../billing-subgraph/src/services/bill-run';
import { recoverIssued } from '../../../billing-subgraph/src/services/bill-run';
import type { BillDoc } from '../../../billing-subgraph/src/store/models';
import { startBilling } from '../../support/harness';
import { ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';

/**
 * A bill run that died inside issuing (after the invoice snapshot was written onto the draft, so
 * possibly after its ledger postings) is completed by the next run. The tax it computed stays
 * while the net is the same, even if the buyer's tax rule changed in between; a draft whose net
 * changed takes a new snapshot. Either way the total is net + tax.
 */
describe('completing a draft that died inside issuing keeps its taxes consistent', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  async function setUp(buyerId: string) {
    const requestId = `${buyerId}-req`;
    await recordSelection(b, { selectionId: `${buyerId}-sel`, requestId, buyerId, carrierId: 'tx-carrier', quantity: '1', incentive: { currency: 'USD', ratePerUnit: '1.00' } });
    await ingestOk(b, [voice({ recordId: `${buyerId}-call`, seconds: 300, buyerId, carrierId: 'tx-carrier', requestId, start: '2026-10-10T10:00:00Z' })]);
    const start = new Date(OCT.start);
    const end = new Date(OCT.end);
    const draft = (snapshot: Partial<BillDoc>): BillDoc => ({
      _id: newBillId(), key: `test|${buyerId}|0`, groupKey: `test|${buyerId}`, kind: 'PERIODIC', groupBy: 'BUYER_REQUEST', buyerId, carrierId: 'tx-carrier', requestId,
      selectionIds: [], periodStart: start, periodEnd: end, sequence: 0, currency: 'USD', lines: [], endUserSubtotals: [], selectionAmounts: [], status: 'DRAFT',
      paidAmount: '0', payments: [], version: 0, recordCount: 0, issuedAt: new Date(), draftAt: new Date(0), runId: 'dead-run', ...snapshot,
    });
    const filter = { intervalStart: { $gte: start, $lt: end }, buyerId, carrierId: 'tx-carrier', currency: 'USD', requestId };
    return { draft, filter };
  }

  const vat = (ratePercent: string) => ({ name: 'VAT', ratePercent, reverseCharge: false });

  it('keeps the snapshot of the net it still has, and re-takes it for a net that changed', async () => {
    for (const id of ['tx-kept', 'tx-redone']) {
      await b.models.BillingProfile.create({ _id: id, role: 'BUYER', timeZone: 'UTC', cycleDay: 1, paymentTermsDays: 30, tax: vat('20'), updatedBy: 'test', updatedAt: new Date() });
    }
    // The net of this usage (5 minutes at 1.00 less the 1-minute advance), found on a draft without snapshot.
    const probe = await setUp('tx-redone');
    const redone = await b.models.Bill.create(probe.draft({ netAmount: '999.00', total: '1198.80', taxLines: [{ name: 'VAT', ratePercent: '20', base: '999.00', amount: '199.80', reverseCharge: false, note: null }] }));
    // The buyer's rate changes before the next run completes the draft.
    await b.models.BillingProfile.updateMany({}, { $set: { tax: vat('19') } });
    const issuedRedone = await completeDraft(b.deps, redone.toObject() as BillDoc, probe.filter, []);
    const net = new Dec(issuedRedone.netAmount!);
    expect(net.gt(0)).toBe(true);
    expect(issuedRedone.netAmount).not.toBe('999.00');
    expect(issuedRedone.taxLines!.map((t) => t.ratePercent)).toEqual(['19']);
    expect(issuedRedone.total).toBe(net.mul('1.19').toFixed(2));
    const redoneLedger = await b.models.Ledger.find({ billId: issuedRedone._id }).lean();
    expect(redoneLedger.find((l) => l.account === 'buyer:tx-redone:receivable')?.amount).toBe(issuedRedone.total);

    // Same usage, and the dead attempt had snapshotted this very net at 20 %: that snapshot stays.
    const kept = await setUp('tx-kept');
    const tax20 = net.mul('0.20').toFixed(2);
    const total20 = net.plus(tax20).toFixed(2);
    const draftKept = await b.models.Bill.create(kept.draft({ netAmount: net.toFixed(2), total: total20, taxLines: [{ name: 'VAT', ratePercent: '20', base: net.toFixed(2), amount: tax20, reverseCharge: false, note: null }] }));
    const issuedKept = await completeDraft(b.deps, draftKept.toObject() as BillDoc, kept.filter, []);
    expect(issuedKept.status).toBe('ISSUED');
    expect(issuedKept.netAmount).toBe(net.toFixed(2));
    expect(issuedKept.taxLines!.map((t) => [t.ratePercent, t.amount])).toEqual([['20', tax20]]);
    expect(issuedKept.total).toBe(total20);
    // The ledger agrees with the bill: receivable = total, payable + tax = total.
    const ledger = await b.models.Ledger.find({ billId: issuedKept._id }).lean();
    const byAccount = Object.fromEntries(ledger.map((l) => [l.account, l.amount]));
    expect(byAccount['buyer:tx-kept:receivable']).toBe(total20);
    expect(new Dec(byAccount['carrier:tx-carrier:payable']).plus(byAccount['carrier:tx-carrier:tax']).negated().toFixed(2)).toBe(total20);
  });

  it('an issued bill whose issuer died right after the flip gets its ledger postings, then its number, once abandoned', async () => {
    const issuedAt = new Date(Date.now() - 120_000);
    const bill = await b.models.Bill.create({
      _id: newBillId(), key: `test|flip-crash|${Date.now()}`, kind: 'PERIODIC', buyerId: 'tx-flip', carrierId: 'tx-carrier', currency: 'USD', status: 'ISSUED',
      lines: [], subtotal: '2.000000', netAmount: '2.00', total: '2.40', taxLines: [{ name: 'VAT', ratePercent: '20', base: '2.00', amount: '0.40', reverseCharge: false, note: null }],
      issuedAt, dueAt: new Date(issuedAt.getTime() + 30 * 86_400_000), periodStart: new Date(OCT.start), periodEnd: new Date(OCT.end), paidAmount: '0', payments: [],
    });
    expect(await b.models.Ledger.countDocuments({ billId: bill._id })).toBe(0);
    // Still within the issuer's window: left alone (no number taken by two processes at once).
    expect((await recoverIssued(b.deps, bill.toObject() as BillDoc, issuedAt.getTime() + 1000)).number).toBeUndefined();
    expect(await b.models.Ledger.countDocuments({ billId: bill._id })).toBe(0);
    const recovered = await recoverIssued(b.deps, bill.toObject() as BillDoc);
    expect(recovered.number).toMatch(/^B-\d{4}-\d{2}-\d{6}$/);
    const byAccount = Object.fromEntries((await b.models.Ledger.find({ billId: bill._id }).lean()).map((l) => [l.account, l.amount]));
    expect(byAccount).toEqual({ 'buyer:tx-flip:receivable': '2.40', 'carrier:tx-carrier:payable': '-2.00', 'carrier:tx-carrier:tax': '-0.40' });
    // Done twice, nothing is posted twice.
    await recoverIssued(b.deps, { ...(bill.toObject() as BillDoc), number: undefined });
    expect(await b.models.Ledger.countDocuments({ billId: bill._id })).toBe(3);
  });
});
