// Issue 12, items 1-3: production refuses development secrets, tokens must expire, operation
// cost is bounded before it is computed.
import { SignJWT } from 'jose';
import { parse, buildSchema, getOperationAST } from 'graphql';
import {
  assertProductionReady,
  checkOperationLimits,
  ConfigError,
  createTokenVerifier,
  DEFAULT_QUERY_LIMITS,
  DEV_JWT_SECRET,
  isProduction,
  measureOperation,
  productionProblems,
} from '@exchange/platform';
import { loadBillingConfig } from '../../../billing-subgraph/src/config';
import { loadModeratorConfig } from '../../../moderator-subgraph/src/config';
import { loadGatewayConfig } from '../../../gateway/src/config';
import { verifyLink, documentUrls } from '../../../billing-subgraph/src/services/bill-run';

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('production posture (item 1)', () => {
  it('recognises production by NODE_ENV or any production key setting', () => {
    expect(isProduction({})).toBe(false);
    expect(isProduction({ NODE_ENV: 'production' })).toBe(true);
    expect(isProduction({ JWT_JWKS_FILE: '/k.json' })).toBe(true);
    expect(isProduction({ BILLING_SIGNING_KEY_FILE: '/k.json' })).toBe(true);
    expect(isProduction({ JWT_JWKS_URL: '' })).toBe(false);
  });

  it('every service refuses NODE_ENV=production without keys and names each missing variable', () => {
    const gw = messageOf(() => loadGatewayConfig({ NODE_ENV: 'production' }));
    expect(gw).toMatch(/JWT_JWKS_FILE/);
    expect(gw).toMatch(/JWT_SECRET/);
    const mod = messageOf(() => loadModeratorConfig({ NODE_ENV: 'production' }));
    expect(mod).toMatch(/JWT_JWKS_FILE/);
    expect(mod).toMatch(/BOARD_PSEUDONYM_SECRET/);
    expect(mod).toMatch(/MODERATOR_SIGNING_KEY_FILE/);
    const bil = messageOf(() => loadBillingConfig({ NODE_ENV: 'production' }));
    expect(bil).toMatch(/JWT_JWKS_FILE/);
    expect(bil).toMatch(/BILL_LINK_SECRET/);
  });

  it('refuses the development secrets themselves in production', () => {
    const msg = messageOf(() =>
      loadModeratorConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET, BOARD_PSEUDONYM_SECRET: 'development-pseudonym-secret' }),
    );
    expect(msg).toMatch(/JWT_SECRET: .*not the development secret/);
    expect(msg).toMatch(/BOARD_PSEUDONYM_SECRET: .*development value/);
  });

  it('the independent billing operator (JWKS) needs BILL_LINK_SECRET: the link key is never derived from the development secret', () => {
    const msg = messageOf(() => loadBillingConfig({ JWT_JWKS_FILE: '/etc/keys.json' }));
    expect(msg).toMatch(/BILL_LINK_SECRET/);
    expect(msg).not.toMatch(/JWT_SECRET/);
    // Bill links name BILLING_PUBLIC_URL: production refuses to start without it (billing's own port stays private).
    expect(messageOf(() => loadBillingConfig({ JWT_JWKS_FILE: '/etc/keys.json', BILL_LINK_SECRET: 'x'.repeat(32) }))).toMatch(/BILLING_PUBLIC_URL: required in production/);
    const ok = loadBillingConfig({ JWT_JWKS_FILE: '/etc/keys.json', BILL_LINK_SECRET: 'x'.repeat(32), BILLING_PUBLIC_URL: 'https://exchange.example' });
    expect(ok.linkSecret).toBe('x'.repeat(32));
    // Production defaults: introspection, landing page and public /metrics off.
    expect(ok.INTROSPECTION).toBe(false);
    expect(ok.METRICS_PUBLIC).toBe(false);
    expect(loadBillingConfig({}).INTROSPECTION).toBe(true);
  });

  it('starts with real keys, and development stays as it was', () => {
    const secret = 'a-deployment-secret-of-its-own-0123456789';
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: secret })).not.toThrow();
    expect(loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).LANDING_PAGE).toBe(false);
    expect(() => loadModeratorConfig({ NODE_ENV: 'production', JWT_SECRET: secret, BOARD_PSEUDONYM_SECRET: 'p'.repeat(32) })).not.toThrow();
    expect(() => loadModeratorConfig({ JWT_JWKS_URL: 'https://idp.test/jwks', BOARD_PSEUDONYM_SECRET: 'p'.repeat(32) })).toThrow(/MODERATOR_SIGNING_KEY_FILE/);
    expect(() => loadModeratorConfig({})).not.toThrow();
    expect(productionProblems({}, { tokens: true, secrets: ['X'] })).toEqual([]);
    expect(() => assertProductionReady({ NODE_ENV: 'production', JWT_SECRET: 'short-secret-16ch' }, { tokens: true })).toThrow(/at least 32/);
  });

  it('refuses a signed bill link whose expires lies beyond the maximum lifetime', () => {
    const deps = { config: { linkSecret: 's'.repeat(32), BILL_LINK_MAX_TTL_SECONDS: 7 * 86_400 }, publicBase: () => 'http://bills.test' } as never;
    const fresh = new URL(documentUrls(deps, 'bill-1').csv);
    expect(verifyLink(deps, 'bill-1', 'csv', fresh.searchParams.get('expires'), fresh.searchParams.get('sig'))).toBe(true);
    // A link signed with the right key but expiring in ten years.
    const far = new URL(documentUrls(deps, 'bill-1', Date.now() + 10 * 365 * 86_400_000).csv);
    expect(verifyLink(deps, 'bill-1', 'csv', far.searchParams.get('expires'), far.searchParams.get('sig'))).toBe(false);
  });
});

describe('tokens must expire (item 2)', () => {
  const secret = new TextEncoder().encode(DEV_JWT_SECRET);
  const verifier = createTokenVerifier({});

  it('refuses a token without exp', async () => {
    const noExp = await new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuedAt().sign(secret);
    await expect(verifier.verify(noExp)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/exp/) });
  });

  it('refuses a token valid for longer than the maximum lifetime (24 h by default, configurable)', async () => {
    const long = await new SignJWT({ role: 'BUYER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('b').setIssuedAt().setExpirationTime('30d').sign(secret);
    await expect(verifier.verify(long)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(createTokenVerifier({ JWT_MAX_LIFETIME_SECONDS: 40 * 86_400 }).verify(long)).resolves.toMatchObject({ sub: 'b' });
    const day = await new SignJWT({ role: 'BUYER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('b').setIssuedAt().setExpirationTime('12h').sign(secret);
    await expect(verifier.verify(day)).resolves.toMatchObject({ sub: 'b', role: 'BUYER' });
  });
});

describe('operation cost bounded before it is computed (item 3)', () => {
  const schema = buildSchema(`
    type Query { a: Int, items(first: Int): [Item!]!, settlementStatement(carrierId: ID!): Statement! }
    type Item { id: ID!, name: String }
    type Statement { total: String }
  `);
  const measure = (q: string) => {
    const doc = parse(q);
    return measureOperation(schema, doc, getOperationAST(doc)!, {}, 10);
  };

  it('measures 22 nested fragment spreads in linear time (memoised), and refuses them', () => {
    const n = 22;
    let q = '{ ...F0 }\n';
    for (let i = 0; i < n; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    q += `fragment F${n} on Query { a }`;
    const started = Date.now();
    const doc = parse(q);
    const error = checkOperationLimits(schema, doc, getOperationAST(doc)!, {}, DEFAULT_QUERY_LIMITS);
    expect(Date.now() - started).toBeLessThan(200);
    expect(error?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(error?.extensions.cost).toBe(2 ** n);
  });

  it('counts aliases and introspection, and weights expensive fields', () => {
    const aliases = Array.from({ length: 1000 }, (_, i) => `s${i}: __schema { queryType { name } }`).join(' ');
    expect(measure(`{ ${aliases} }`).cost).toBeGreaterThan(DEFAULT_QUERY_LIMITS.maxCost);
    const typenames = Array.from({ length: 6000 }, (_, i) => `t${i}: __typename`).join(' ');
    expect(measure(`{ ${typenames} }`).cost).toBe(6000);
    const statements = Array.from({ length: 30 }, (_, i) => `s${i}: settlementStatement(carrierId: "c") { total }`).join(' ');
    expect(measure(`{ ${statements} }`).cost).toBe(30 * 251);
    // a list item's leaves cost one unit per LEAVES_PER_UNIT (issue 21 item 5); leaves outside lists 1 each
    expect(measure('{ items(first: 5) { id name } }').cost).toBe(1 + 5 * 1);
    expect(measure(`{ items(first: 1000) { ${Array.from({ length: 22 }, (_, i) => `f${i}: name`).join(' ')} } }`).cost).toBe(1 + 1000 * 3);
    expect(measure(`{ items(first: 1000) { ${Array.from({ length: 3000 }, (_, i) => `f${i}: id`).join(' ')} } }`).cost).toBe(1 + 1000 * 300);
    expect(measure(`{ ${Array.from({ length: 3000 }, (_, i) => `f${i}: a`).join(' ')} }`).cost).toBe(3000);
  });
});

// Issue 20 (low–medium): NODE_ENV=Production ran in development mode (compared exactly).
describe('NODE_ENV in any letter case', () => {
  it.each(['Production', 'PRODUCTION', ' production '])('%j is production and refuses development secrets', (value) => {
    expect(isProduction({ NODE_ENV: value })).toBe(true);
    expect(messageOf(() => loadGatewayConfig({ NODE_ENV: value }))).toContain('JWT_SECRET');
  });
  it('development stays development', () => {
    expect(isProduction({ NODE_ENV: 'development' })).toBe(false);
  });
});
