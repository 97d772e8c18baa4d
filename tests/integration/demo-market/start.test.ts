// `npm start` (tools/start.js) and the demo market, as real processes from the built dist/: on demo
// data it trades through the gateway and stops with the stack; DEMO_MARKET=false and production
// leave it out (production saying why).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { alive, descendants, run } from '../../support/processes';
import { gql, token } from '../../support/harness';
import { until } from '../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) {
    if (/^(JWT_|BILL_LINK|BILLING_PUBLIC_URL|BOARD_PSEUDONYM|NODE_ENV$|.*SIGNING_KEY_FILE$|.*MONGODB_URI$|REDIS_URL$|DEMO_MARKET|SEED_DEMO_DATA$)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

/** The command line of a process (empty once it is gone). */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const demoProcesses = (root: number) => descendants(root).filter((p) => commandOf(p).includes(path.join('demo-market', 'dist', 'main.js')));

/** Starts the stack on free ports in a fresh DB_DIR; `body` gets the gateway URL; Ctrl-C afterwards. */
async function withStack(extra: Record<string, string>, body: (url: string, proc: ReturnType<typeof run>) => Promise<void>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'exchange-demo-'));
  const [db, gw, mod, bil, rs] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const proc = run(
    process.execPath,
    [path.join(ROOT, 'tools', 'start.js')],
    cleanEnv({ DB_DIR: dir, DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), BILLING_PORT: String(bil), ROUTE_SERVER_PORT: String(rs), LOG_LEVEL: 'info', ...extra }),
    { detached: true },
  );
  try {
    const [, url] = await proc.waitFor(/GraphQL gateway: (\S+)/);
    await body(url, proc);
    const pids = descendants(proc.child.pid!);
    process.kill(-proc.child.pid!, 'SIGINT');
    expect((await proc.exited).code).toBe(0);
    await until(() => !pids.some(alive), { message: 'every child process to exit', timeout: 5000 }).catch(() => undefined);
    expect(pids.filter(alive)).toEqual([]);
  } finally {
    for (const p of descendants(proc.child.pid!)) process.kill(p, 'SIGKILL');
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}


describe('npm start and the demo market', () => {
  it('on demo data the demo buyers trade through the gateway, and Ctrl-C stops the simulator with the stack', async () => {
    await withStack({}, async (url, proc) => {
      expect(proc.output().stdout).toContain('Demo market:');
      expect(demoProcesses(proc.child.pid!)).toHaveLength(1);
      const admin = await token('ADMIN', 'admin');
      await until(async () => {
        const r = await gql(url, '{ serviceRequests(first: 50) { status buyer { id } bids { id } } }', {}, admin);
        return (r.data?.serviceRequests ?? []).some((s: { status: string; bids: unknown[] }) => s.status === 'AWARDED' && s.bids.length > 0);
      }, { message: 'a demo request is awarded', timeout: 60_000 });
      const { serviceRequests } = (await gql(url, '{ serviceRequests(first: 50) { buyer { id } } }', {}, admin)).data!;
      for (const s of serviceRequests) expect(['buyer-acme', 'buyer-globex', 'buyer-initech']).toContain(s.buyer.id);
    });
  }, 150_000);

  it('DEMO_MARKET=false: no simulator, no requests', async () => {
    await withStack({ DEMO_MARKET: 'false' }, async (url, proc) => {
      expect(proc.output().stdout).not.toContain('Demo market:');
      expect(demoProcesses(proc.child.pid!)).toEqual([]);
      const r = await gql(url, '{ serviceRequests(first: 5) { id } }', {}, await token('ADMIN', 'admin'));
      expect(r.data).toEqual({ serviceRequests: [] });
    });
  }, 150_000);

  it('production (which seeds no demo data; SEED_DEMO_DATA=true is refused, tests/integration/platform/production-start.test.ts): the demo market is not started, saying so', async () => {
    const secret = 'a-deployment-secret-of-its-own-0123456789abcdef';
    await withStack({ NODE_ENV: 'production', JWT_SECRET: secret, BOARD_PSEUDONYM_SECRET: 'p'.repeat(40), BILL_LINK_SECRET: 'l'.repeat(40), BILLING_PUBLIC_URL: 'https://exchange.example' }, async (_url, proc) => {
      // stderr and stdout are two pipes: the line printed before the gateway's may still be on its way.
      await proc.waitFor(/demo market not started: production/, 10_000);
      expect(demoProcesses(proc.child.pid!)).toEqual([]);
    });
  }, 150_000);

  it('production with DEMO_MARKET=true: the stack runs, the demo market is refused with a log line', async () => {
    const secret = 'a-deployment-secret-of-its-own-0123456789abcdef';
    const env = { NODE_ENV: 'production', JWT_SECRET: secret, BOARD_PSEUDONYM_SECRET: 'p'.repeat(40), BILL_LINK_SECRET: 'l'.repeat(40), BILLING_PUBLIC_URL: 'https://exchange.example', DEMO_MARKET: 'true' };
    await withStack(env, async (url, proc) => {
      await proc.waitFor(/DEMO_MARKET=true is refused in production/, 10_000);
      expect(proc.output().stdout).not.toContain('Demo market:');
      expect(demoProcesses(proc.child.pid!)).toEqual([]);
      const admin = await new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops').setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(secret));
      const r = await gql(url, '{ serviceRequests(first: 5) { id } }', {}, admin);
      expect(r.data).toEqual({ serviceRequests: [] });
    });
  }, 150_000);
});
