// In-process services on free ports against the run's embedded database. Every call gets
// fresh database names, so test files (and instances inside one file) never share state
// unless they ask to by passing the same dbName.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createLogger, DEV_JWT_SECRET, type Logger, type Role } from '@exchange/platform';
import { createModeratorApp, type ModeratorApp } from '../../moderator-subgraph/src/app';
import { loadModeratorConfig } from '../../moderator-subgraph/src/config';
import { createBillingApp, type BillingApp } from '../../billing-subgraph/src/app';
import { loadBillingConfig } from '../../billing-subgraph/src/config';
import { createGatewayApp, type GatewayApp } from '../../gateway/src/app';
import { loadGatewayConfig } from '../../gateway/src/config';

export const mongoUri = (): string => {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run through jest (globalSetup starts the database)');
  return uri;
};

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

const quiet = (service: string) => createLogger(service, process.env.TEST_LOG_LEVEL ?? 'silent');

type Env = Record<string, string | undefined>;

export async function startModerator(env: Env = {}): Promise<ModeratorApp & { dbName: string }> {
  const dbName = env.MODERATOR_DB_NAME ?? uniqueName('t_moderator');
  const config = loadModeratorConfig({ MONGODB_URI: mongoUri(), MODERATOR_PORT: '0', ROUTE_SERVER_PORT: '0', MODERATOR_DB_NAME: dbName, ...env });
  const app = await createModeratorApp(config, { logger: quiet('moderator') });
  return Object.assign(app, { dbName });
}

export async function startBilling(env: Env = {}, opts: { logger?: Logger } = {}): Promise<BillingApp & { dbName: string }> {
  const dbName = env.BILLING_DB_NAME ?? uniqueName('t_billing');
  const config = loadBillingConfig({ MONGODB_URI: mongoUri(), BILLING_PORT: '0', BILLING_DB_NAME: dbName, ...env });
  const app = await createBillingApp(config, { logger: opts.logger ?? quiet('billing') });
  return Object.assign(app, { dbName });
}

export async function startGateway(urls: { moderator: string; billing: string }, env: Env = {}): Promise<GatewayApp> {
  const config = loadGatewayConfig({ GATEWAY_PORT: '0', MODERATOR_URL: urls.moderator, BILLING_URL: urls.billing, ...env });
  return createGatewayApp(config, { logger: quiet('gateway') });
}

/** The whole system in one process: database names unique to this call. */
export async function startStack(env: { moderator?: Env; billing?: Env; gateway?: Env } = {}) {
  const billing = await startBilling(env.billing);
  const moderator = await startModerator({ BILLING_URL: billing.url, ...env.moderator });
  const gateway = await startGateway({ moderator: moderator.url, billing: billing.url }, env.gateway);
  return {
    moderator,
    billing,
    gateway,
    async stop({ drop = true } = {}) {
      await gateway.stop();
      if (drop) {
        await moderator.conn.dropDatabase().catch(() => undefined);
        await billing.conn.dropDatabase().catch(() => undefined);
      }
      await moderator.stop();
      await billing.stop();
    },
  };
}

export async function token(role: Role, sub: string, expiresIn = '1h'): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));
}

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, any>; path?: (string | number)[] }[];
}

/** A plain HTTP GraphQL call, as any portal or partner would make it. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  bearer?: string,
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResult<T>;
  return { ...body, status: res.status };
}

/** Throws with the server's errors when a call that must succeed did not. */
export async function gqlOk<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>, bearer?: string): Promise<T> {
  const r = await gql<T>(url, query, variables, bearer);
  if (r.errors?.length || !r.data) throw new Error(`GraphQL call failed (${r.status}): ${JSON.stringify(r.errors)}`);
  return r.data;
}

export const errorCodes = (r: GqlResult) => (r.errors ?? []).map((e) => e.extensions?.code);
