// Issue 26: README's "Importing CDR files" as a newcomer pastes it, with real processes. `npm start`
// (demo data and market), `npm run demo-cdr` writes an Asterisk Master.csv of calls under a live
// demo award and prints the import command; that command, run as printed (billing found by
// BILLING_PORT, no --url), associates and rates every call.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) {
    if (/^(JWT_|BILL_LINK|BILLING_PUBLIC_URL|BILLING_URL|BOARD_PSEUDONYM|NODE_ENV$|.*SIGNING_KEY_FILE$|.*MONGODB_URI$|REDIS_URL$|DEMO_MARKET|SEED_DEMO_DATA$|INIT_CWD$|GATEWAY_URL$)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

describe('npm run demo-cdr, then the import command it prints (README, Importing CDR files)', () => {
  it('writes calls that bill in the running demo: every one associated and rated', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'exchange-demo-cdr-'));
    const [db, gw, mod, bil, rs] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const ports = { DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), BILLING_PORT: String(bil), ROUTE_SERVER_PORT: String(rs) };
    const stack = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({ ...ports, DB_DIR: path.join(work, 'db') }), { detached: true });
    try {
      await stack.waitFor(/Telecom service exchange is up/);
      // The terminal of `npm start`: GATEWAY_PORT and BILLING_PORT as it was given them, INIT_CWD where npm was typed.
      const shell = cleanEnv({ ...ports, INIT_CWD: work, INGEST_CHECKPOINT_DIR: path.join(work, 'state') });
      // Until the demo market has a live award for buyer-acme (exit 3 says so meanwhile).
      let printed = '';
      const deadline = Date.now() + 240_000;
      for (;;) {
        const gen = run(process.execPath, [path.join(ROOT, 'tools', 'demo-cdr.js'), '--buyer', 'buyer-acme', '--out', 'Master.csv'], shell);
        const { code } = await gen.exited;
        if (code === 0) {
          printed = gen.output().stderr;
          break;
        }
        expect([code, gen.output().stderr]).toEqual([3, expect.stringMatching(/no live VOICE award of buyer-acme/)]);
        if (Date.now() > deadline) throw new Error('no demo award of buyer-acme within 4 minutes');
        await new Promise((r) => setTimeout(r, 2000));
      }
      const rows = readFileSync(path.join(work, 'Master.csv'), 'utf8').trim().split('\n');
      expect(rows).toHaveLength(8);
      const command = /npm run ingest -- (.+)$/m.exec(printed)![1].split(' ');
      expect(command.slice(0, 3)).toEqual(['Master.csv', '--buyer', 'buyer-acme']);
      expect(command[3]).toBe('--carrier');
      expect(command[4]).toMatch(/^carrier-(atlas|borealis|cygnus|delta)$/);

      const tok = run(process.execPath, [path.join(ROOT, 'tools', 'token.js'), '--role', 'BILLING_AGENT', '--sub', 'agent'], shell);
      expect((await tok.exited).code).toBe(0);
      const ingest = run(process.execPath, [path.join(ROOT, 'billing-subgraph', 'dist', 'cli', 'ingest.js'), ...command, '--no-progress'], { ...shell, BILLING_TOKEN: tok.output().stdout.trim() });
      const { code } = await ingest.exited;
      expect(ingest.output().stdout).toMatch(/^rows 8\n {2}accepted 8: associated and rated 8, parked UNASSOCIATED 0\n {2}duplicates 0\n {2}rejected 0\n/);
      expect(code).toBe(0);
      // No checkpoint next to the file: the working folder holds what the newcomer made.
      expect(readdirSync(work).sort()).toEqual(['Master.csv', 'db', 'state']);
    } finally {
      const pids = descendants(stack.child.pid!);
      try {
        process.kill(-stack.child.pid!, 'SIGINT');
      } catch {
        /* gone */
      }
      const until = Date.now() + 15_000;
      while ((pids.some(alive) || stack.child.exitCode === null) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      for (const p of pids.filter(alive)) process.kill(p, 'SIGKILL');
      rmSync(work, { recursive: true, force: true });
    }
  }, 360_000);
});
