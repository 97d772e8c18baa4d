import { formatBillNumber } from '../../../billing-subgraph/src/domain';
import { issueCompleted, newBillId } from '../../../billing-subgraph/src/services/bill-run';
import { createDeliveries, documentUrls } from '../../../billing-subgraph/src/services/bill-run';
import { recoverBillNumber } from '../../../billing-subgraph/src/store/bill-numbers';
import type { BillDoc } from '../../../billing-subgraph/src/store/models';
import { gqlOk, startBilling } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';

const seriesOf = (at: Date) => `billno|${at.toISOString().slice(0, 7)}`;

/** Every slot of a series with the bill that holds it; numbers must be 1..N, each on exactly its bill. */
async function assertGapless(b: Billing, series: string) {
  const slots = await b.models.Slot.find({ key: series }).sort({ seq: 1 }).lean();
  expect(slots.map((s) => s.seq)).toEqual(slots.map((_, i) => i + 1));
  const bills = await b.models.Bill.find({ _id: { $in: slots.map((s) => s.value) } }).lean();
  const byId = new Map(bills.map((x) => [x._id, x]));
  for (const s of slots) {
    const bill = byId.get(s.value)!;
    expect(bill.status).not.toBe('DRAFT');
    expect(bill.number).toBe(formatBillNumber(s.seq, bill.issuedAt));
  }
  // no bill holds two slots, and every issued bill of the series has its number
  expect(new Set(slots.map((s) => s.value)).size).toBe(slots.length);
  const issued = await b.models.Bill.find({ status: { $ne: 'DRAFT' } }).lean();
  expect(issued.filter((x) => seriesOf(x.issuedAt) === series && !x.number)).toEqual([]);
  return slots.length;
}

describe('gapless bill numbers per series (issue 14 item 4)', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('numbers 1..N without gaps across competing bill runs; a losing conditional issue takes no number', async () => {
    const buyers = ['g-a', 'g-b', 'g-c', 'g-d'];
    for (const [i, buyerId] of buyers.entries()) {
      await recordSelection(b, { selectionId: `g-sel-${i}`, requestId: `g-req-${i}`, buyerId, carrierId: 'g-carrier', quantity: '1', incentive: { currency: 'USD', ratePerUnit: '0.10' } });
      await ingestOk(b, [voice({ recordId: `g-${i}`, seconds: 60, buyerId, carrierId: 'g-carrier', start: '2026-10-10T10:00:00Z' })]);
    }
    const agent = await agentToken();
    const runs = await Promise.all([1, 2, 3].map(() => gqlOk(b.url, GENERATE, { period: OCT }, agent)));
    expect(runs.reduce((n, r) => n + r.generateBills.issued, 0)).toBe(4);

    // a run that lost its draft (another run took it over) issues nothing and claims no number
    const series = seriesOf(new Date());
    const before = await b.models.Slot.countDocuments({ key: series });
    const draft: BillDoc = {
      _id: newBillId(), key: `test|lost|${Date.now()}`, kind: 'PERIODIC', buyerId: 'g-a', carrierId: 'g-carrier', currency: 'USD', status: 'DRAFT',
      runId: 'the-other-run', lines: [], total: '1.00', subtotal: '1.000000', issuedAt: new Date(), periodStart: new Date(OCT.start), periodEnd: new Date(OCT.end),
    };
    await b.models.Bill.create(draft);
    expect(await issueCompleted(b.deps, { ...draft, runId: 'this-run' }, { total: '1.00', subtotal: '1.000000' })).toBe(false);
    expect(await b.models.Slot.countDocuments({ key: series })).toBe(before);
    expect((await b.models.Bill.findById(draft._id).lean())!.number).toBeUndefined();

    // 4 advance bills + 4 periodic bills
    expect(await assertGapless(b, series)).toBe(8);
  });

  it('crash recovery: an issued bill without a number gets the next one before it is delivered, and a re-run reuses the slot it already holds', async () => {
    const series = seriesOf(new Date());
    const start = await b.models.Slot.countDocuments({ key: series });
    const issuedBill = (id: string, issuedAt: Date): BillDoc => ({
      _id: id, key: `test|${id}`, kind: 'PERIODIC', buyerId: 'r-buyer', carrierId: 'r-carrier', currency: 'USD', status: 'ISSUED', lines: [], total: '2.00', subtotal: '2.000000',
      netAmount: '2.00', taxLines: [], issuedAt, dueAt: issuedAt, periodStart: new Date(OCT.start), periodEnd: new Date(OCT.end), deliveryPath: 'DIRECT',
    });
    // the issuer died between the flip and the number: the worker numbers it, then delivers it
    const abandonedAt = new Date(Date.now() - 120_000);
    const abandoned = issuedBill(newBillId(), abandonedAt);
    await b.models.Bill.create(abandoned);
    await createDeliveries(b.deps, abandoned, abandonedAt);
    // one just issued (its issuer is numbering it right now) is neither numbered nor delivered by the worker
    const fresh = issuedBill(newBillId(), new Date());
    await b.models.Bill.create(fresh);
    await createDeliveries(b.deps, fresh, new Date(Date.now() - 120_000));
    await b.runWorkersOnce();
    const recovered = (await b.models.Bill.findById(abandoned._id).lean())!;
    expect(recovered.number).toBe(formatBillNumber(start + 1, abandonedAt));
    const delivered = await b.models.Delivery.find({ billId: abandoned._id, channel: 'WEBSITE' }).lean();
    expect(delivered.map((d) => d.state)).toEqual(['DELIVERED', 'DELIVERED']);
    expect((await b.models.Bill.findById(fresh._id).lean())!.number).toBeUndefined();
    expect((await b.models.Delivery.find({ billId: fresh._id }).lean()).every((d) => d.state === 'PENDING' && d.attempts === 0)).toBe(true);
    // the bill website does not post a bill before it has its number
    expect((await fetch(documentUrls(b.deps, fresh._id).html)).status).toBe(404);
    expect((await fetch(documentUrls(b.deps, abandoned._id).html)).status).toBe(200);

    // died after claiming its slot (seq start+2) and before writing the number; another bill took start+3 since
    const crashed = { ...issuedBill(newBillId(), abandonedAt), numberFloor: start + 1 };
    await b.models.Bill.create(crashed);
    await b.models.Slot.create({ _id: `${series}|${start + 2}`, key: series, seq: start + 2, value: crashed._id, createdAt: new Date() });
    const other = issuedBill(newBillId(), abandonedAt);
    await b.models.Bill.create(other);
    expect((await recoverBillNumber(b.models, other)).number).toBe(formatBillNumber(start + 3, abandonedAt));
    const again = await recoverBillNumber(b.models, (await b.models.Bill.findById(crashed._id).lean())!);
    expect(again.number).toBe(formatBillNumber(start + 2, abandonedAt));
    // and a second re-run changes nothing
    expect((await recoverBillNumber(b.models, { ...crashed, number: undefined } as BillDoc)).number).toBe(formatBillNumber(start + 2, abandonedAt));
    expect(await b.models.Slot.countDocuments({ key: series })).toBe(start + 3);

    // the issuer's own late numbering of the fresh bill then takes the next number
    expect((await recoverBillNumber(b.models, (await b.models.Bill.findById(fresh._id).lean())!, Date.now() + 120_000)).number).toBe(formatBillNumber(start + 4, fresh.issuedAt));
    expect(await assertGapless(b, series)).toBe(start + 4);
  });
});
