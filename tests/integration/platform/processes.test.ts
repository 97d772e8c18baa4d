// `npm start` and the per-service entry points, run as real processes from the built dist/.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';
import { gql, token } from '../../support/harness';
import { subscribe, wsClient, type TestWsClient } from '../../support/ws-client';
import { until } from '../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LOCK_NAME } = require('../../../tools/lib/lock') as { LOCK_NAME: string };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of ['MONGODB_URI', 'MODERATOR_MONGODB_URI', 'BILLING_MONGODB_URI', 'REDIS_URL']) delete env[k];
  return { ...env, ...extra };
}

describe('npm start', () => {
  it('starts database, subgraphs and gateway, answers a federated query, and Ctrl-C stops everything without an error or a stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'exchange-start-'));
    const [db, gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // Its own process group, as in a terminal: Ctrl-C signals the whole group.
    const proc = run(
      process.execPath,
      [path.join(ROOT, 'tools', 'start.js')],
      cleanEnv({
        DB_DIR: dir,
        DB_PORT: String(db),
        GATEWAY_PORT: String(gw),
        MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(await freePort()),
        BILLING_PORT: String(bil),
        LOG_LEVEL: 'info',
      }),
      { detached: true },
    );
    const clients: TestWsClient[] = [];
    try {
      const [, url] = await proc.waitFor(/GraphQL gateway: (\S+)/);
      const pids = descendants(proc.child.pid!);
      // database launcher, moderator, billing, gateway
      expect(pids.length).toBeGreaterThanOrEqual(4);
      expect(existsSync(path.join(dir, LOCK_NAME))).toBe(true);

      const admin = await token('ADMIN', 'admin');
      const r = await gql(url, '{ serviceRequest(id: "none") { id } billingVersion }', {}, admin);
      expect(r.errors).toBeUndefined();
      expect(r.data).toEqual({ serviceRequest: null, billingVersion: expect.any(String) });
      // An open subscription (upstream sockets to the moderator) while stopping.
      const c = wsClient(url, admin);
      clients.push(c);
      const sub = subscribe(c, 'subscription { marketBoardChanges { kind } }');
      const buyer = await token('BUYER', 'buyer-acme');
      const now = Date.now();
      const day = 86_400_000;
      // The subscription registers in another process (nothing here to wait on): a request is
      // created until one is announced to it.
      await until(async () => {
        if (sub.events.length > 0) return true;
        await gql(url, 'mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }', {
          i: {
            routes: [{ origin: '1', destination: '4420' }],
            serviceType: 'VOICE',
            quantity: '100',
            unit: 'MINUTE',
            interval: { start: new Date(now + 5 * day).toISOString(), end: new Date(now + 6 * day).toISOString() },
            biddingClosesAt: new Date(now + day).toISOString(),
          },
        }, buyer);
        return sub.events.length > 0;
      }, { message: 'a marketBoardChanges event', timeout: 20_000, interval: 100 });
      expect(sub.events[0]?.data).toEqual({ marketBoardChanges: { kind: 'OPENED' } });

      process.kill(-proc.child.pid!, 'SIGINT');
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      await until(() => !pids.some(alive), { message: 'every child process to exit', timeout: 5000 }).catch(() => undefined);
      expect(pids.filter(alive)).toEqual([]);
      const { stdout, stderr } = proc.output();
      const lines = `${stdout}\n${stderr}`.split('\n');
      expect(lines.filter((l) => /"level":(50|60)/.test(l) || /^\s+at /.test(l) || /Error:/.test(l))).toEqual([]);
      expect(existsSync(path.join(dir, LOCK_NAME))).toBe(false);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
      for (const p of descendants(proc.child.pid!)) process.kill(p, 'SIGKILL');
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('configuration validation', () => {
  it.each([
    ['moderator-subgraph', { MODERATOR_PORT: 'not-a-port' }, 'MODERATOR_PORT'],
    ['billing-subgraph', { BILLING_MONGODB_URI: 'http://wrong' }, 'BILLING_MONGODB_URI'],
    ['gateway', { MODERATOR_URL: 'nope' }, 'MODERATOR_URL'],
  ])('%s refuses to start with a bad variable and names it', async (pkg, env, name) => {
    const proc = run(process.execPath, [path.join(ROOT, pkg, 'dist', 'main.js')], cleanEnv(env));
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    expect(proc.output().stderr).toContain(name);
  });
});

describe('each service starts alone', () => {
  it('runs the billing subgraph by itself against a given database (independent billing agent)', async () => {
    const port = await freePort();
    const proc = run(process.execPath, [path.join(ROOT, 'billing-subgraph', 'dist', 'main.js')], cleanEnv({
      MONGODB_URI: process.env.TEST_MONGODB_URI!,
      BILLING_DB_NAME: `t_alone_${port}`,
      BILLING_PORT: String(port),
      LOG_LEVEL: 'info',
    }));
    try {
      await proc.waitFor(/billing listening/);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  }, 60_000);
});
