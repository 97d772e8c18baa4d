// Issue 15, item 1: the gateway makes no outbound call it was not configured to make. Apollo's
// gateway starts an OpenTelemetry exporter to Apollo's cloud in its constructor (probing cloud
// metadata endpoints at once) unless APOLLO_TELEMETRY_DISABLED is set; here it is off by default.
// Every TCP connection this process opens is observed (node:diagnostics_channel), while a real
// gateway starts and answers a federated query from real subgraphs.
import { subscribe as onChannel, unsubscribe as offChannel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, type TestSubgraph } from '../../support/gateway-fixtures';
import { sleep, until } from '../../support/wait';

describe('outbound calls of the gateway', () => {
  const ordersState = new OrdersState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let sdl: string;
  const attempts: string[] = [];
  const watch = ({ socket }: { socket: Socket }) => {
    socket.once('connectionAttempt', (ip: string, port: number) => attempts.push(`${ip}:${port}`));
  };

  beforeAll(async () => {
    orders = await startOrders(ordersState);
    ledger = await startLedger(new LedgerState());
    sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    ordersState.parties.set('alice', { id: 'alice', name: 'Alice Telecom' });
    onChannel('net.client.socket', watch as never);
  });
  afterAll(async () => {
    offChannel('net.client.socket', watch as never);
    await orders?.stop();
    await ledger?.stop();
  });

  const local = (gateway: GatewayApp) => new Set([orders.port, ledger.port, gateway.port].map((p) => `127.0.0.1:${p}`));

  async function observe(env: Record<string, string>, expectOutbound = false): Promise<{ gateway: GatewayApp; attempts: string[] }> {
    attempts.length = 0;
    const gateway = await startTestGateway(sdl, env);
    try {
      const r = await gql(gateway.url, '{ whoami party(id: "alice") { name } }', {}, await token('BUYER', 'alice'));
      expect(r.data).toEqual({ whoami: 'alice', party: { name: 'Alice Telecom' } });
      if (expectOutbound) {
        await until(() => attempts.some((a) => !local(gateway).has(a)), { message: "the exporter's first outbound probe", timeout: 10_000 });
      } else {
        // Look-out for probes that must NOT come (an absence has no event): the exporter's probes
        // start within milliseconds of the constructor (see the APOLLO_TELEMETRY=true case).
        await sleep(1000);
      }
      return { gateway, attempts: [...new Set(attempts)] };
    } finally {
      await gateway.stop();
    }
  }

  it('connects only to its subgraphs (and the test to the gateway) by default', async () => {
    const { gateway, attempts: seen } = await observe({});
    const allowed = new Set([orders.port, ledger.port, gateway.port].map((p) => `127.0.0.1:${p}`));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((a) => !allowed.has(a))).toEqual([]);
    // Even with Apollo's key in the environment nothing is reported, unless APOLLO_TELEMETRY is set.
    process.env.APOLLO_KEY = 'service:not-configured-here:0000';
    process.env.APOLLO_GRAPH_REF = 'not-configured-here@current';
    try {
      const again = await observe({});
      const allowedAgain = new Set([orders.port, ledger.port, again.gateway.port].map((p) => `127.0.0.1:${p}`));
      expect(again.attempts.filter((a) => !allowedAgain.has(a))).toEqual([]);
    } finally {
      delete process.env.APOLLO_KEY;
      delete process.env.APOLLO_GRAPH_REF;
    }
  });

  it('reaches out to Apollo (cloud metadata probes) only when APOLLO_TELEMETRY=true: what the default prevents', async () => {
    const { gateway, attempts: seen } = await observe({ APOLLO_TELEMETRY: 'true' }, true);
    expect(seen.filter((a) => !local(gateway).has(a)).length).toBeGreaterThan(0);
  });
});
