// Issue 26 (a newcomer's first hour): production as the README sets it up, with real processes.
// `npm run keys` writes every key and secret; `npm start` with them runs without demo parties or a
// development-token banner; a token minted with the generated issuer key (`npm run token -- --key`,
// which works in production) calls the API; bill links name BILLING_PUBLIC_URL, which the gateway
// serves (/bills/ forwarded to billing); without BILLING_PUBLIC_URL, or with SEED_DEMO_DATA=true,
// production refuses to start and names the variable.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';
import { gql, token as devToken } from '../../support/harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) {
    if (/^(JWT_|BILL_LINK|BILLING_PUBLIC_URL|BOARD_PSEUDONYM|NODE_ENV$|.*SIGNING_KEY_FILE$|.*MONGODB_URI$|REDIS_URL$|DEMO_MARKET|SEED_DEMO_DATA$|INIT_CWD$)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

/** The variables of a production.env file (comments and blank lines left out). */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('production with the keys of `npm run keys` (real processes)', () => {
  let work: string;
  let keys: string;
  let ports: Record<string, string>;
  let prodEnv: Record<string, string>;
  let gateway: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'exchange-keys-'));
    keys = path.join(work, 'keys');
    const [db, gw, mod, bil, rs] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    ports = { DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), BILLING_PORT: String(bil), ROUTE_SERVER_PORT: String(rs) };
    gateway = `http://127.0.0.1:${gw}`;
    const p = run(process.execPath, [path.join(ROOT, 'tools', 'keys.js'), '--out', keys, '--public-url', gateway, '--issuer', 'https://exchange.test', '--audience', 'telecom-exchange'], cleanEnv({}));
    expect((await p.exited).code).toBe(0);
    prodEnv = envFile(path.join(keys, 'production.env'));
    // What it printed is what it wrote.
    expect(p.output().stdout.trim().split('\n').filter((l) => !l.startsWith('#'))).toEqual(Object.entries(prodEnv).map(([k, v]) => `${k}=${v}`));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes every setting production requires, private files readable by the owner only, and never overwrites keys', async () => {
    expect(Object.keys(prodEnv).sort()).toEqual(['BILLING_PUBLIC_URL', 'BILLING_SIGNING_KEY_FILE', 'BILL_LINK_SECRET', 'BOARD_PSEUDONYM_SECRET', 'JWT_AUDIENCE', 'JWT_ISSUER', 'JWT_JWKS_FILE', 'MODERATOR_SIGNING_KEY_FILE', 'NODE_ENV'].sort());
    expect(prodEnv.BILL_LINK_SECRET).not.toBe(prodEnv.BOARD_PSEUDONYM_SECRET);
    expect(prodEnv.BILL_LINK_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(mode(keys)).toBe(0o700);
    for (const f of ['issuer-private.jwk.json', 'moderator-private.jwk.json', 'billing-private.jwk.json', 'production.env']) expect([f, mode(path.join(keys, f))]).toEqual([f, 0o600]);
    const jwks = JSON.parse(readFileSync(prodEnv.JWT_JWKS_FILE, 'utf8'));
    expect(jwks.keys).toHaveLength(3);
    for (const k of jwks.keys) expect(k.d).toBeUndefined();
    const again = run(process.execPath, [path.join(ROOT, 'tools', 'keys.js'), '--out', keys], cleanEnv({}));
    expect((await again.exited).code).toBe(2);
    expect(again.output().stderr).toMatch(/never overwritten/);
    expect(envFile(path.join(keys, 'production.env'))).toEqual(prodEnv);
  });

  it('refuses to start without BILLING_PUBLIC_URL, or with SEED_DEMO_DATA=true, naming the variable, before anything starts', async () => {
    const dir = mkdtempSync(path.join(work, 'db-'));
    const { BILLING_PUBLIC_URL: _omitted, ...withoutUrl } = prodEnv;
    const a = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({ ...withoutUrl, ...ports, DB_DIR: dir }));
    expect((await a.exited).code).toBe(1);
    expect(a.output().stderr).toMatch(/BILLING_PUBLIC_URL: required in production/);
    expect(a.output().stderr).not.toContain('embedded FerretDB');
    const b = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({ ...prodEnv, ...ports, DB_DIR: dir, SEED_DEMO_DATA: 'true' }));
    expect((await b.exited).code).toBe(1);
    expect(b.output().stderr).toMatch(/SEED_DEMO_DATA: demo buyers and carriers are never seeded in production/);
    expect(b.output().stderr).not.toContain('embedded FerretDB');
  });

  it('starts with no demo parties and no development-token help; tokens from the generated key work, bills are served at BILLING_PUBLIC_URL', async () => {
    const dir = mkdtempSync(path.join(work, 'db-'));
    const proc = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({ ...prodEnv, ...ports, DB_DIR: dir, LOG_LEVEL: 'info' }), { detached: true });
    try {
      const [, url] = await proc.waitFor(/GraphQL gateway: (\S+)/);
      const out = proc.output().stdout;
      expect(out).not.toContain('Demo parties');
      expect(out).not.toContain('npm run token');
      expect(out).not.toContain('Demo market:');
      expect(out).toContain(`Posted bills:    ${gateway}/bills/<id>`);
      expect(out).toMatch(/Production: +no demo data/);

      // `npm run token -- --key` in the production environment: allowed, because the key is the operator's.
      const mint = async (role: string, sub: string) => {
        const t = run(process.execPath, [path.join(ROOT, 'tools', 'token.js'), '--key', path.join(keys, 'issuer-private.jwk.json'), '--role', role, '--sub', sub, '--expires', '10m'], cleanEnv(prodEnv));
        expect((await t.exited).code).toBe(0);
        return t.output().stdout.trim();
      };
      const admin = await mint('ADMIN', 'ops');
      const payload = JSON.parse(Buffer.from(admin.split('.')[1], 'base64url').toString('utf8'));
      expect(payload).toMatchObject({ role: 'ADMIN', sub: 'ops', iss: 'https://exchange.test', aud: 'telecom-exchange' });
      expect(payload.exp - payload.iat).toBe(600);
      const parties = await gql(url, '{ buyers { id } carriers { id } }', {}, admin);
      expect(parties.errors).toBeUndefined();
      expect(parties.data).toEqual({ buyers: [], carriers: [] });
      // The development secret's tokens, and a development token from `npm run token` itself, are refused.
      expect((await gql(url, '{ buyers { id } }', {}, await devToken('ADMIN', 'admin'))).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const dev = run(process.execPath, [path.join(ROOT, 'tools', 'token.js'), '--role', 'ADMIN', '--sub', 'x'], cleanEnv(prodEnv));
      expect((await dev.exited).code).toBe(2);
      expect(dev.output().stderr).toMatch(/--key <private JWK>/);

      // A bill: a selection (as the moderator would send it), usage, a bill run; its links go through the gateway.
      const moderator = await mint('MODERATOR', 'moderator');
      const agent = await mint('BILLING_AGENT', 'agent');
      const sel = await gql(url, 'mutation($i: SelectionRecordInput!) { recordSelection(input: $i) { id } }', {
        i: { selectionId: 'prod-sel', requestId: 'prod-req', buyerId: 'buyer-p', buyerIsReseller: false, carrierId: 'carrier-p', routes: [{ origin: '1', destination: '44' }], serviceType: 'VOICE', interval: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' }, quantity: '100', unit: 'MINUTE', incentive: { currency: 'USD', ratePerUnit: '0.010000' }, selectedAt: '2026-09-20T12:00:00Z' },
      }, moderator);
      expect(sel.errors).toBeUndefined();
      const usage = await gql(url, 'mutation($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted } }', {
        r: [{ recordId: 'prod-call-1', source: 'MEASURING_EQUIPMENT', buyerId: 'buyer-p', carrierId: 'carrier-p', intervalStart: '2026-10-05T10:00:00Z', intervalEnd: '2026-10-05T10:01:00Z', serviceType: 'VOICE', quantity: '60', destination: '442070000001' }],
      }, agent);
      expect(usage.data?.ingestUsage.accepted).toBe(1);
      const bills = await gql(url, 'mutation($p: IntervalInput!) { generateBills(period: $p) { bills { id kind documentUrls { pdf } } } }', { p: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' } }, agent);
      expect(bills.errors).toBeUndefined();
      const links = (bills.data!.generateBills.bills as { documentUrls: { pdf: string } }[]).map((b) => b.documentUrls.pdf);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(link.startsWith(`${gateway}/bills/`)).toBe(true);
        const pdf = await fetch(link);
        expect(pdf.status).toBe(200);
        expect(pdf.headers.get('content-type')).toContain('application/pdf');
      }
      // Through the gateway without a token or a signature: refused by billing, as on its own port.
      expect((await fetch(`${gateway}/bills/${encodeURIComponent(links[0].split('/bills/')[1].split('.pdf')[0])}`)).status).toBe(401);
    } finally {
      const pids = descendants(proc.child.pid!);
      try {
        process.kill(-proc.child.pid!, 'SIGINT');
      } catch {
        /* gone */
      }
      const deadline = Date.now() + 15_000;
      while ((pids.some(alive) || proc.child.exitCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const p of pids.filter(alive)) process.kill(p, 'SIGKILL');
    }
  }, 180_000);
});
