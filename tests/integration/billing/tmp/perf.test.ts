import { startBilling } from '../../../support/harness';
import { ingestOk, recordSelection, voice } from '../fixtures';
it('perf', async () => {
  jest.setTimeout(120000);
  const b = await startBilling({ WORKERS: 'false' });
  await recordSelection(b, { selectionId: 'p', buyerId: 'pb', carrierId: 'pc' });
  for (const k of [0, 1]) {
    const recs = Array.from({ length: 10000 }, (_, i) => voice({ recordId: `p-${k}-${i}`, seconds: 30 + (i % 100), buyerId: 'pb', carrierId: 'pc', start: new Date(Date.UTC(2026, 9, 5, 0, 0, i)).toISOString() }));
    const t = Date.now();
    const out = await ingestOk(b, recs);
    console.log('batch', k, out.accepted, Date.now() - t, 'ms');
  }
  await b.conn.dropDatabase();
  await b.stop();
}, 120000);
