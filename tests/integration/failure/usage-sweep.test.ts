// No revenue leak (issue 13, item 6): usage that arrived before its selection record is being
// re-associated when billing is killed (SIGKILL) midway; recordSelection's caller saw a failure,
// nobody re-delivers, and part of the usage is still UNASSOCIATED. After a restart the periodic
// sweep associates and rates the rest: every record billed exactly once.
import mongoose from 'mongoose';
import { registerModels as billingModels } from '../../../billing-subgraph/src/store/models';
import { gql, gqlOk, mongoUri, uniqueName } from '../../support/harness';
import { agentToken, GENERATE, INGEST, moderatorToken, RECORD_SELECTION, selectionInput } from '../billing/fixtures';
import { freePort, startChild, until, type ChildService } from './support/children';
import { MongoProxy } from './support/mongo-proxy';

const N = 600;
const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };

describe('failure: billing killed during the re-association of waiting usage', () => {
  const db = uniqueName('t_fail_sweep');
  let proxy: MongoProxy;
  let port: number;
  let billing: ChildService | undefined;
  let conn: mongoose.Connection;
  let bm: ReturnType<typeof billingModels>;

  const start = (env: Record<string, string>) => startChild('billing', port, { MONGODB_URI: proxy.uri(mongoUri()), BILLING_DB_NAME: db, WORKER_INTERVAL_MS: '200', ...env });

  beforeAll(async () => {
    proxy = await MongoProxy.forUri(mongoUri()).start();
    port = await freePort();
    conn = await mongoose.createConnection(mongoUri(), { dbName: db }).asPromise();
    bm = billingModels(conn);
  });
  afterAll(async () => {
    await billing?.kill();
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    await proxy?.stop();
  });

  it('the sweep associates and rates what the killed re-association left, each record once', async () => {
    // The first process never sweeps on its own: only recordSelection's re-association runs.
    billing = await start({ USAGE_SWEEP_INTERVAL_MS: '3600000' });
    const agent = await agentToken();
    const records = Array.from({ length: N }, (_, i) => {
      const at = Date.UTC(2026, 10, 4, 0, 0, 0) + i * 60_000;
      return { recordId: `sweep-${i}`, source: 'MEASURING_EQUIPMENT', buyerId: 'sw-buyer', carrierId: 'sw-carrier', intervalStart: new Date(at).toISOString(), intervalEnd: new Date(at + 30_000).toISOString(), serviceType: 'VOICE', quantity: '30' };
    });
    for (let i = 0; i < N; i += 200) expect((await gqlOk(billing.url, INGEST, { records: records.slice(i, i + 200) }, agent)).ingestUsage.accepted).toBe(200);
    expect(await bm.Usage.countDocuments({ status: 'UNASSOCIATED' })).toBe(N);

    // Killed at the 201st usage update of the re-association.
    let crashed = false;
    proxy.arm({ match: (c) => c.command === 'update' && c.collection === 'usage_records', skip: 200, then: () => { crashed = true; process.kill(billing!.pid, 'SIGKILL'); } });
    const answer = await gql(billing.url, RECORD_SELECTION, { input: selectionInput({ selectionId: 'sw-sel', requestId: 'sw-req', buyerId: 'sw-buyer', carrierId: 'sw-carrier', start: NOV.start, end: NOV.end }) }, await moderatorToken()).catch((err: Error) => ({ errors: [{ message: err.message }] }));
    expect(crashed).toBe(true);
    expect(answer.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await billing.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const left = await bm.Usage.countDocuments({ status: 'UNASSOCIATED' });
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(N);
    // The selection record itself was stored before the re-association began.
    expect(await bm.Selection.countDocuments({ _id: 'sw-sel' })).toBe(1);

    billing = await start({ USAGE_SWEEP_INTERVAL_MS: '300', USAGE_RECOVERY_AFTER_MS: '500' });
    await until(async () => (await bm.Usage.countDocuments({ status: 'RATED' })) === N, { message: 'every waiting record associated and rated', timeout: 60_000, interval: 200 }).catch(async (err) => {
      const by = await Promise.all((['UNASSOCIATED', 'ASSOCIATED', 'RATED'] as const).map(async (s) => `${s} ${await bm.Usage.countDocuments({ status: s })}`));
      throw new Error(`${(err as Error).message}: ${by.join(', ')}; stderr ${billing!.output().stderr.slice(-1500)}`);
    });
    await until(async () => (await bm.BillingRecord.countDocuments({ selectionId: 'sw-sel' })) === N, { message: 'a billing record per usage record', timeout: 30_000, interval: 200 });
    const bills = (await gqlOk(billing.url, GENERATE, { period: NOV }, agent)).generateBills.bills.filter((x: any) => x.carrier.id === 'sw-carrier');
    expect(bills.map((x: any) => [x.kind, x.recordCount])).toEqual([['PERIODIC', N]]);
    // Each 30 s call is one billable minute (the default 60/60 increment): N minutes, nothing lost, nothing twice.
    expect(bills[0].lines.find((l: any) => l.kind === 'USAGE').quantity).toBe(String(N));
  }, 180_000);
});
