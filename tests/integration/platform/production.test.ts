// Issue 12, item 1: production never runs on development secrets. Real processes, as an
// operator starts them: NODE_ENV=production without keys stops with every missing setting named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { run } from '../../support/processes';
import { gql, startModerator, token } from '../../support/harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) {
    if (/^(JWT_|BILL_LINK|BOARD_PSEUDONYM|NODE_ENV$|.*SIGNING_KEY_FILE$|.*MONGODB_URI$|REDIS_URL$)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

describe('production refuses to start without real keys', () => {
  it.each([
    ['moderator-subgraph', ['JWT_JWKS_FILE', 'JWT_SECRET', 'BOARD_PSEUDONYM_SECRET', 'MODERATOR_SIGNING_KEY_FILE']],
    ['billing-subgraph', ['JWT_JWKS_FILE', 'JWT_SECRET', 'BILL_LINK_SECRET']],
    ['gateway', ['JWT_JWKS_FILE', 'JWT_JWKS_URL', 'JWT_SECRET']],
  ])('%s with NODE_ENV=production and no keys exits 1 naming %p', async (pkg, names) => {
    const proc = run(process.execPath, [path.join(ROOT, pkg, 'dist', 'main.js')], cleanEnv({ NODE_ENV: 'production' }));
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    const { stderr } = proc.output();
    expect(stderr).toContain('production');
    for (const n of names) expect(stderr).toContain(n);
  });

  it('the independent billing operator set-up of the README (JWKS, no BILL_LINK_SECRET) is refused', async () => {
    const proc = run(process.execPath, [path.join(ROOT, 'billing-subgraph', 'dist', 'main.js')], cleanEnv({ JWT_JWKS_FILE: '/nonexistent/keys.json' }));
    expect((await proc.exited).code).toBe(1);
    expect(proc.output().stderr).toContain('BILL_LINK_SECRET');
  });

  it('`npm start` (tools/start.js) stops before starting anything and names every missing setting', async () => {
    const [db, gw, mod, bil] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const dir = mkdtempSync(path.join(tmpdir(), 'exchange-prod-'));
    try {
      const proc = run(process.execPath, [path.join(ROOT, 'tools', 'start.js')], cleanEnv({
        NODE_ENV: 'production',
        DB_DIR: dir,
        DB_PORT: String(db),
        GATEWAY_PORT: String(gw),
        MODERATOR_PORT: String(mod), ROUTE_SERVER_PORT: String(await freePort()),
        BILLING_PORT: String(bil),
      }));
      expect((await proc.exited).code).toBe(1);
      const { stderr } = proc.output();
      for (const n of ['JWT_JWKS_FILE', 'JWT_SECRET', 'BOARD_PSEUDONYM_SECRET', 'MODERATOR_SIGNING_KEY_FILE', 'BILL_LINK_SECRET']) expect(stderr).toContain(n);
      expect(stderr).not.toContain('embedded FerretDB');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a production service with its own keys', () => {
  const secret = 'a-deployment-secret-of-its-own-0123456789abcdef';
  let moderator: Awaited<ReturnType<typeof startModerator>>;
  const adminToken = () =>
    new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops').setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(secret));

  beforeAll(async () => {
    moderator = await startModerator({ NODE_ENV: 'production', JWT_SECRET: secret, BOARD_PSEUDONYM_SECRET: 'p'.repeat(40), OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
  });
  afterAll(async () => {
    await moderator?.conn.dropDatabase().catch(() => undefined);
    await moderator?.stop();
  });

  it('refuses an ADMIN token made with the development secret', async () => {
    const r = await gql(moderator.url, '{ buyers { id } }', {}, await token('ADMIN', 'admin'));
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ok = await gql(moderator.url, '{ buyers { id } }', {}, await adminToken());
    expect(ok.errors).toBeUndefined();
  });

  it('keeps introspection, `_service` and /metrics for operators', async () => {
    const sdl = await gql(moderator.url, '{ _service { sdl } }');
    expect(sdl.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: '_service' });
    const viaFragment = await gql(moderator.url, '{ ...S } fragment S on Query { _service { sdl } }');
    expect(viaFragment.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asAdmin = await gql(moderator.url, '{ _service { sdl } }', {}, await adminToken());
    expect(asAdmin.data?._service.sdl).toContain('type Query');
    const intro = await gql(moderator.url, '{ __schema { queryType { name } } }');
    expect(intro.errors?.[0]?.message).toContain('introspection');
    const metrics = new URL('/metrics', moderator.url);
    expect((await fetch(metrics)).status).toBe(401);
    expect((await fetch(metrics, { headers: { authorization: `Bearer ${await adminToken()}` } })).status).toBe(200);
  });
});

describe('npm run token', () => {
  it('issues tokens with exp (12 h by default) and refuses a lifetime beyond the maximum', async () => {
    const ok = run(process.execPath, [path.join(ROOT, 'tools', 'token.js'), '--role', 'BUYER', '--sub', 'buyer-acme'], cleanEnv({}));
    expect((await ok.exited).code).toBe(0);
    const payload = JSON.parse(Buffer.from(ok.output().stdout.trim().split('.')[1], 'base64url').toString('utf8'));
    expect(payload.exp - payload.iat).toBe(12 * 3600);
    const long = run(process.execPath, [path.join(ROOT, 'tools', 'token.js'), '--role', 'BUYER', '--sub', 'buyer-acme', '--expires', '30d'], cleanEnv({}));
    expect((await long.exited).code).toBe(2);
    expect(long.output().stderr).toContain('JWT_MAX_LIFETIME_SECONDS');
  });
});
