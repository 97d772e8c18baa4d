// Issue 20 (low–medium): the partner allow-list was off unless PARTNER_OPERATIONS_FILE was set. It is
// now on by default with the committed schema/partner-operations.json; `none` is refused in production.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GatewayApp } from '../../../gateway/src/app';
import { loadGatewayConfig } from '../../../gateway/src/config';
import { gql, token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';

describe('the partner allow-list', () => {
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let gw: GatewayApp;

  beforeAll(async () => {
    orders = await startOrders(new OrdersState());
    ledger = await startLedger(new LedgerState());
    gw = await startTestGateway(composeTestSupergraph({ orders: orders.url, ledger: ledger.url }));
  });
  afterAll(async () => {
    await gw?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it('is on by default: a partner runs only the committed persisted operations', async () => {
    const partner = await token('PARTNER', 'partner-1');
    const free = await gql(gw.url, '{ whoami }', {}, partner);
    expect(free.status).toBe(403);
    expect(free.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OPERATION_NOT_IN_ALLOW_LIST' });
    // A listed operation is recognised (by text): it passes the list (this test supergraph has no market feed, so it fails validation instead).
    const listed = Object.values(JSON.parse(readFileSync(path.resolve(__dirname, '../../../schema/partner-operations.json'), 'utf8')) as Record<string, string>)[0];
    const r = await gql(gw.url, listed, {}, partner);
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Other roles are not restricted by it.
    expect((await gql(gw.url, '{ whoami }', {}, await token('BUYER', 'alice'))).data).toEqual({ whoami: 'alice' });
  });

  it('cannot be turned off in production', () => {
    const env = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters!', PARTNER_OPERATIONS_FILE: 'none' };
    expect(() => loadGatewayConfig(env)).toThrow(/PARTNER_OPERATIONS_FILE/);
    expect(loadGatewayConfig({ ...env, PARTNER_OPERATIONS_FILE: undefined }).PARTNER_OPERATIONS_FILE).toMatch(/schema\/partner-operations\.json$/);
  });
});
