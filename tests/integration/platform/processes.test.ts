// `npm start` and the per-service entry points, run as real processes from the built dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';
import { gql, token } from '../../support/harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of ['MONGODB_URI', 'MODERATOR_MONGODB_URI', 'BILLING_MONGODB_URI', 'REDIS_URL']) delete env[k];
  return { ...env, ...extra };
}

describe('npm start', () => {
  it('starts database, subgraphs and gateway, answers a federated query, and Ctrl-C leaves no process behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'exchange-start-'));
    const [db, gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const proc = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({
      DB_DIR: dir,
      DB_PORT: String(db),
      GATEWAY_PORT: String(gw),
      MODERATOR_PORT: String(mod),
      BILLING_PORT: String(bil),
    }));
    try {
      const [, url] = await proc.waitFor(/GraphQL gateway: (\S+)/);
      const pids = descendants(proc.child.pid!);
      // database launcher, moderator, billing, gateway
      expect(pids.length).toBeGreaterThanOrEqual(4);

      const r = await gql(url, '{ serviceRequest(id: "none") { id } billingVersion }', {}, await token('ADMIN', 'admin'));
      expect(r.errors).toBeUndefined();
      expect(r.data).toEqual({ serviceRequest: null, billingVersion: expect.any(String) });

      proc.child.kill('SIGINT');
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      const deadline = Date.now() + 5000;
      while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      for (const p of descendants(proc.child.pid!)) process.kill(p, 'SIGKILL');
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
