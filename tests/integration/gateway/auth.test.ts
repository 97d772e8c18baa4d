// Identity at the gateway: it verifies every token itself (HTTP and WebSocket connection_init)
// and forwards the raw token, which each subgraph verifies again.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { GatewayApp } from '../../../gateway/src/app';
import { gql, token } from '../../support/harness';
import {
  composeTestSupergraph,
  LedgerState,
  OrdersState,
  startLedger,
  startOrders,
  startTestGateway,
  until,
  type TestSubgraph,
} from '../../support/gateway-fixtures';
import { subscribe, wsClient } from '../../support/ws-client';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function runTokenTool(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const k of ['JWT_JWKS_FILE', 'JWT_JWKS_URL', 'NODE_ENV', 'JWT_SECRET']) delete clean[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'tools', 'token.js'), ...args], { env: { ...clean, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('gateway identity with the development HS256 secret', () => {
  const state = new OrdersState();
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let gateway: GatewayApp;

  beforeAll(async () => {
    orders = await startOrders(state);
    ledger = await startLedger(new LedgerState());
    gateway = await startTestGateway(composeTestSupergraph({ orders: orders.url, ledger: ledger.url }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await orders?.stop();
    await ledger?.stop();
  });

  it('forwards a valid token: the subgraph sees the same identity', async () => {
    const r = await gql(gateway.url, '{ whoami }', {}, await token('CARRIER', 'carrier-7'));
    expect(r).toEqual({ status: 200, data: { whoami: 'carrier-7' } });
  });

  it('lets anonymous calls through to the subgraphs, which decide', async () => {
    const r = await gql(gateway.url, '{ whoami orders { id } }');
    expect(r.data).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('rejects an invalid, expired or malformed token at the gateway with 401 UNAUTHENTICATED', async () => {
    for (const bad of ['not-a-jwt', await token('BUYER', 'alice', '-1s')]) {
      const r = await gql(gateway.url, '{ whoami }', {}, bad);
      expect(r.status).toBe(401);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(r.data).toBeUndefined();
    }
    const basic = await gql(gateway.url, '{ whoami }', {}, undefined, { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' });
    expect(basic.status).toBe(401);
    expect(basic.errors?.[0]?.message).toBe('Authorization header must be "Bearer <token>"');
  });

  it('closes a WebSocket whose connection_init carries an invalid token with 4401', async () => {
    const c = wsClient(gateway.url, 'not-a-jwt');
    try {
      const sub = subscribe(c, 'subscription { orderPlaced { id } }');
      const end = await sub.ended;
      expect(end.kind).toBe('error');
      expect(c.closes).toHaveLength(1);
      expect(c.closes[0].code).toBe(4401);
      expect(c.closes[0].reason).toMatch(/^Unauthenticated: Invalid token/);
    } finally {
      await c.dispose();
    }
  });

  it('prints development tokens with npm run token, which the gateway accepts', async () => {
    // A CARRIER token: a PARTNER one may run only the persisted operations (the allow-list is on by default).
    const out = await runTokenTool({}, ['--role', 'CARRIER', '--sub', 'carrier-9']);
    expect(out.code).toBe(0);
    const r = await gql(gateway.url, '{ whoami }', {}, out.stdout.trim());
    expect(r.data).toEqual({ whoami: 'carrier-9' });
  });
});

describe('gateway identity with asymmetric keys (JWKS)', () => {
  let dir: string;
  let privateKey: KeyLike;
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let fileGateway: GatewayApp;
  let urlGateway: GatewayApp;
  let jwksServer: Server;
  const KID = 'moderator-2026';

  const es256 = (sub: string, role: string) =>
    new SignJWT({ role }).setProtectedHeader({ alg: 'ES256', kid: KID }).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(privateKey);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gw-jwks-'));
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] };
    const jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwks));
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

    // The subgraphs verify again with the same public keys; they never see a secret.
    orders = await startOrders(new OrdersState(), { auth: { JWT_JWKS_FILE: jwksFile } });
    ledger = await startLedger(new LedgerState(), { auth: { JWT_JWKS_FILE: jwksFile } });
    const sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
    fileGateway = await startTestGateway(sdl, { JWT_JWKS_FILE: jwksFile });
    urlGateway = await startTestGateway(sdl, { JWT_JWKS_URL: jwksUrl });
  });
  afterAll(async () => {
    await fileGateway?.stop();
    await urlGateway?.stop();
    await orders?.stop();
    await ledger?.stop();
    await new Promise((r) => jwksServer?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a token signed by the private key (JWKS file and JWKS URL)', async () => {
    const t = await es256('carrier-3', 'CARRIER');
    expect((await gql(fileGateway.url, '{ whoami }', {}, t)).data).toEqual({ whoami: 'carrier-3' });
    expect((await gql(urlGateway.url, '{ whoami }', {}, t)).data).toEqual({ whoami: 'carrier-3' });
  });

  it('rejects an HS256 development token', async () => {
    const dev = await token('ADMIN', 'admin-1');
    for (const gw of [fileGateway, urlGateway]) {
      const r = await gql(gw.url, '{ whoami }', {}, dev);
      expect(r.status).toBe(401);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('rejects a token signed by another key pair', async () => {
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'ES256', kid: KID })
      .setSubject('admin-1')
      .setExpirationTime('10m')
      .sign(other.privateKey);
    const r = await gql(fileGateway.url, '{ whoami }', {}, forged);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('subscribes with an ES256 token and refuses an HS256 one on connection_init', async () => {
    const good = wsClient(fileGateway.url, await es256('admin-1', 'ADMIN'));
    const bad = wsClient(fileGateway.url, await token('ADMIN', 'admin-1'));
    try {
      const sub = subscribe(good, 'subscription { invoiceIssued { invoice { id } } }');
      await until(() => ledger.activeSubscriptions() === 1, 'subscribed upstream under the ES256 token');
      await (ledger as Awaited<ReturnType<typeof startLedger>>).issue({ id: 'i-1', orderId: 'o', buyerId: 'b', amount: '1' });
      expect(await sub.next()).toEqual({ data: { invoiceIssued: { invoice: { id: 'i-1' } } } });
      const refused = subscribe(bad, 'subscription { invoiceIssued { invoice { id } } }');
      expect((await refused.ended).kind).toBe('error');
      expect(bad.closes.map((c) => c.code)).toEqual([4401]);
    } finally {
      await good.dispose();
      await bad.dispose();
    }
  });

  it('npm run token refuses to mint tokens when production keys are configured', async () => {
    const out = await runTokenTool({ JWT_JWKS_FILE: path.join(dir, 'jwks.json') }, ['--role', 'ADMIN', '--sub', 'admin-1']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/refusing to sign with the development secret/i);
  });
});
