// Operations tell the truth: each check runs the real entry points as OS processes.
// - `npm start` (tools/start.js) says "is up" only once its own services bound their ports; a
//   foreign server on the gateway port makes it fail at once, with a message naming the variable.
// - DB_PORT is validated like every other variable.
// - A second stack on the same DB_DIR is refused (lock file), a stale lock is taken over.
// - An unreachable database gives one line naming the host, within a bounded time.
// - An award whose selection record has not reached billing in time is a metric and a warning.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';
import { gqlOk, token } from '../../support/harness';
import { until } from '../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LOCK_NAME } = require('../../../tools/lib/lock') as { LOCK_NAME: string };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of ['MONGODB_URI', 'MODERATOR_MONGODB_URI', 'BILLING_MONGODB_URI', 'REDIS_URL', 'DB_PORT', 'DB_DIR', 'DB_POSTGRESQL_URL']) delete env[k];
  return { ...env, ...extra };
}

const START = path.join(ROOT, 'tools', 'start.js');
const START_DB = path.join(ROOT, 'tools', 'start-db.js');
const listen = (server: Server, port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
const close = (server: { close(cb: () => void): void }) => new Promise<void>((r) => server.close(() => r()));

function killAll(proc: ReturnType<typeof run>) {
  for (const p of descendants(proc.child.pid!)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
}

describe('npm start refuses what it cannot truly start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'exchange-ops-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails clearly, never saying "up", when another server (even one that answers like a gateway) holds the gateway port', async () => {
    const [db, gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // Another stack's gateway: answers /health and /graphql with 200.
    const foreign = createHttpServer((_req, res) => res.end('{"status":"ok"}'));
    await listen(foreign, gw);
    const proc = run(process.execPath, [START], cleanEnv({ DB_DIR: dir, DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(await freePort()), BILLING_PORT: String(bil) }));
    try {
      const exit = await proc.exited;
      const { stdout, stderr } = proc.output();
      expect(exit.code).toBe(1);
      expect(stdout).not.toMatch(/is up/);
      expect(stderr).toContain(`GATEWAY_PORT ${gw}: 127.0.0.1:${gw} is already in use`);
      expect(stderr).not.toMatch(/^\s+at /m);
      // Nothing was started (no database, no subgraph), so nothing is left behind.
      expect(descendants(proc.child.pid!).filter(alive)).toEqual([]);
      expect(existsSync(path.join(dir, LOCK_NAME))).toBe(false);
    } finally {
      killAll(proc);
      await close(foreign);
    }
  }, 60_000);

  it("names ROUTE_SERVER_PORT when the route server's port is taken, before starting anything", async () => {
    const [db, gw, mod, bil, rs] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const foreign = createHttpServer((_req, res) => res.end('ok'));
    await listen(foreign, rs);
    const proc = run(process.execPath, [START], cleanEnv({ DB_DIR: dir, DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(rs), BILLING_PORT: String(bil) }));
    try {
      expect((await proc.exited).code).toBe(1);
      const { stdout, stderr } = proc.output();
      expect(stdout).not.toMatch(/is up/);
      expect(stderr).toContain(`ROUTE_SERVER_PORT ${rs}: 127.0.0.1:${rs} is already in use`);
      expect(descendants(proc.child.pid!).filter(alive)).toEqual([]);
    } finally {
      killAll(proc);
      await close(foreign);
    }
  }, 60_000);

  it('a service whose port is taken (after the check, by a race) says so in one line, without a stack', async () => {
    const port = await freePort();
    const foreign = createHttpServer((_req, res) => res.end('ok'));
    await listen(foreign, port);
    try {
      const proc = run(process.execPath, [path.join(ROOT, 'gateway', 'dist', 'main.js')], cleanEnv({ GATEWAY_PORT: String(port) }));
      expect((await proc.exited).code).toBe(1);
      const lines = proc.output().stderr.trim().split('\n');
      expect(lines).toEqual([`gateway: cannot listen on 127.0.0.1:${port}: it is already in use by another process (another stack?); stop that process or set GATEWAY_PORT`]);
    } finally {
      await close(foreign);
    }
  }, 60_000);

  it('Ctrl-C while it is still starting stops whatever was started, leaving no process and no lock behind', async () => {
    const [db, gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const proc = run(process.execPath, [START], cleanEnv({ DB_DIR: dir, DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(await freePort()), BILLING_PORT: String(bil) }), { detached: true });
    try {
      // As soon as the database launcher runs (before it listens, or just after): Ctrl-C.
      const seen = new Set<number>(await until(() => { const d = descendants(proc.child.pid!); return d.length > 0 && d; }, { message: 'the database launcher to start', timeout: 30_000, interval: 10 }));
      expect(seen.size).toBeGreaterThan(0);
      process.kill(-proc.child.pid!, 'SIGINT');
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      expect(proc.output().stdout).not.toMatch(/is up/);
      await until(() => ![...seen].some(alive), { message: 'every started process to exit', timeout: 10_000 }).catch(() => undefined);
      expect([...seen].filter(alive)).toEqual([]);
      // Nothing listens on the database port any more.
      const probe = createTcpServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(db, '127.0.0.1', () => resolve());
      });
      await close(probe);
      expect(existsSync(path.join(dir, LOCK_NAME))).toBe(false);
    } finally {
      killAll(proc);
    }
  }, 60_000);

  it.each([
    ['npm start', START],
    ['npm run start:db', START_DB],
  ])('%s validates DB_PORT like every other variable', async (_name, script) => {
    for (const bad of ['abc', '70000', '-1', '12.5']) {
      const proc = run(process.execPath, [script], cleanEnv({ DB_DIR: dir, DB_PORT: bad }));
      expect((await proc.exited).code).toBe(1);
      expect(proc.output().stderr).toBe(`Invalid configuration:\n  - DB_PORT: must be a port number (0-65535), got ${JSON.stringify(bad)}\n`);
    }
  });

  it('refuses a second stack on the same DB_DIR with a clear message, and takes over a stale lock', async () => {
    const first = run(process.execPath, [START_DB], cleanEnv({ DB_DIR: dir, DB_PORT: String(await freePort()) }));
    try {
      await first.waitFor(/Embedded FerretDB ready/);
      const message = new RegExp(`DB_DIR ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another stack \\(pid ${first.child.pid}, npm run start:db`);

      const [gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort()]);
      const second = run(process.execPath, [START], cleanEnv({ DB_DIR: dir, DB_PORT: String(await freePort()), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(await freePort()), BILLING_PORT: String(bil) }));
      expect((await second.exited).code).toBe(1);
      expect(second.output().stderr).toMatch(message);
      expect(second.output().stdout).not.toMatch(/is up/);

      const third = run(process.execPath, [START_DB], cleanEnv({ DB_DIR: dir, DB_PORT: String(await freePort()) }));
      expect((await third.exited).code).toBe(1);
      expect(third.output().stderr).toMatch(message);
      expect(third.output().stdout).not.toMatch(/ready/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    // Stopped: the lock is gone.
    expect(existsSync(path.join(dir, LOCK_NAME))).toBe(false);

    // A lock left by a process that died (here: a PID that does not exist) is taken over.
    writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: '2026-01-01T00:00:00Z', purpose: 'npm start' }));
    const again = run(process.execPath, [START_DB], cleanEnv({ DB_DIR: dir, DB_PORT: String(await freePort()) }));
    try {
      await again.waitFor(/Embedded FerretDB ready/);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 90_000);
});

describe('an unreachable database', () => {
  it.each([
    ['nothing listens there', 'refused'],
    ['it accepts connections and never answers', 'silent'],
  ])('gives one line naming the host within a bounded time (%s)', async (_what, kind) => {
    const port = await freePort();
    const held: Socket[] = [];
    const blackHole = kind === 'silent' ? createTcpServer((s) => held.push(s)) : null;
    if (blackHole) await new Promise<void>((r) => blackHole.listen(port, '127.0.0.1', r));
    const started = Date.now();
    const proc = run(
      process.execPath,
      [path.join(ROOT, 'moderator-subgraph', 'dist', 'main.js')],
      cleanEnv({ MONGODB_URI: `mongodb://operator:s3cret-pw@127.0.0.1:${port}/exchange?authSource=admin`, MODERATOR_PORT: '0', ROUTE_SERVER_PORT: '0' }),
    );
    try {
      const exit = await proc.exited;
      const elapsed = Date.now() - started;
      expect(exit.code).toBe(1);
      expect(elapsed).toBeLessThan(20_000);
      const { stdout, stderr } = proc.output();
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^moderator: cannot reach the database server 127\\.0\\.0\\.1:${port} within 10 s \\(.+\\)$`));
      expect(stderr).not.toContain('s3cret-pw');
    } finally {
      killAll(proc);
      held.forEach((s) => s.destroy());
      if (blackHole) await close(blackHole);
    }
  }, 40_000);
});

describe('an award whose selection record does not reach billing', () => {
  it('is counted in a metric and warned about in the log once OUTBOX_OVERDUE_MS has passed', async () => {
    const [port, billingPort] = await Promise.all([freePort(), freePort()]);
    const proc = run(
      process.execPath,
      [path.join(ROOT, 'moderator-subgraph', 'dist', 'main.js')],
      cleanEnv({
        MONGODB_URI: process.env.TEST_MONGODB_URI!,
        MODERATOR_DB_NAME: `t_overdue_${port}`,
        MODERATOR_PORT: String(port),
        ROUTE_SERVER_PORT: '0',
        // Billing is down: nothing listens there.
        BILLING_URL: `http://127.0.0.1:${billingPort}/graphql`,
        OUTBOX_INTERVAL_MS: '100',
        OUTBOX_BACKOFF_BASE_MS: '100',
        OUTBOX_BACKOFF_MAX_MS: '200',
        OUTBOX_OVERDUE_MS: '1000',
        LOG_LEVEL: 'warn',
      }),
    );
    try {
      const url = `http://127.0.0.1:${port}/graphql`;
      await until(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), { message: 'the moderator to answer /health', timeout: 10_000, interval: 100 });
      const admin = await token('ADMIN', 'ops-admin');
      const buyer = await token('BUYER', 'ops-buyer');
      const carrier = await token('CARRIER', 'ops-carrier');
      await gqlOk(url, 'mutation { registerBuyer(input: { id: "ops-buyer", name: "Ops Buyer" }) { id } }', {}, admin);
      await gqlOk(url, 'mutation { registerCarrier(input: { id: "ops-carrier", name: "Ops Carrier", coverage: ["44"] }) { id } }', {}, admin);
      const day = 86_400_000;
      const now = Date.now();
      const requestId = (
        await gqlOk(
          url,
          'mutation($i: CreateServiceRequestInput!) { createServiceRequest(input: $i) { id } }',
          {
            i: {
              routes: [{ origin: '1', destination: '4420' }],
              serviceType: 'VOICE',
              quantity: '100',
              unit: 'MINUTE',
              interval: { start: new Date(now + 5 * day).toISOString(), end: new Date(now + 6 * day).toISOString() },
              biddingClosesAt: new Date(now + day).toISOString(),
            },
          },
          buyer,
        )
      ).createServiceRequest.id as string;
      await gqlOk(url, 'mutation($i: SubmitBidInput!) { submitBid(input: $i) { id } }', { i: { requestId, incentive: { currency: 'GBP', ratePerUnit: '0.01' } } }, carrier);
      const closed = await gqlOk(url, 'mutation($id: ID!) { closeBidding(requestId: $id) { selection { id } } }', { id: requestId }, buyer);
      const selectionId = closed.closeBidding.selection.id as string;

      const metric = async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      let text = '';
      await until(async () => /moderator_selection_deliveries_overdue\{service="moderator"\} 1\b/.test((text = await metric())), { message: 'the overdue delivery in /metrics', timeout: 10_000, interval: 100 }).catch(() => undefined);
      expect(text).toMatch(/moderator_selection_deliveries_overdue\{service="moderator"\} 1\b/);
      expect(text).toMatch(/moderator_selection_deliveries_overdue_total\{service="moderator"\} 1\b/);
      expect(text).toMatch(/moderator_selection_delivery_oldest_pending_seconds\{service="moderator"\} \d+/);
      await proc.waitFor(/selection record has not reached billing within OUTBOX_OVERDUE_MS/, 10_000);
      const warnings = proc
        .output()
        .stdout.split('\n')
        .filter((l) => l.includes('has not reached billing'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // One warning per award, however many checks ran meanwhile.
      expect(warnings).toEqual([expect.objectContaining({ level: 40, selectionId, requestId, overdueMs: 1000, lastError: expect.stringContaining('billing unreachable') })]);
    } finally {
      killAll(proc);
    }
  }, 60_000);
});
