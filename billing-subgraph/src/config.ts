import { z } from 'zod';
import { authEnv, bool, httpUrl, logLevel, loadConfig, mongoUri, port } from '@exchange/platform';

const schema = z.object({
  BILLING_HOST: z.string().default('127.0.0.1'),
  BILLING_PORT: port(4002),
  MONGODB_URI: mongoUri.default('mongodb://127.0.0.1:27017'),
  BILLING_MONGODB_URI: mongoUri.optional(),
  BILLING_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('exchange_billing'),
  /** Public base URL of the bill website (posted bills), as buyers and carriers reach it. */
  BILLING_PUBLIC_URL: httpUrl.optional(),
  /** The Moderator's API, used only when a bill is delivered through the Moderator (claim 12). */
  MODERATOR_URL: httpUrl.default('http://127.0.0.1:4001/graphql'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  PUBSUB_PREFIX: z.string().default('exchange:'),
  BILLING_SIGNING_KEY_FILE: z.string().optional(),
  INGEST_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'e.g. 20mb').default('32mb'),
  INTROSPECTION: bool(true),
  LOG_LEVEL: logLevel,
  ...authEnv,
});

export type BillingConfig = z.infer<typeof schema> & { mongodbUri: string };

export function loadBillingConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  const c = loadConfig(schema, env);
  return { ...c, mongodbUri: c.BILLING_MONGODB_URI ?? c.MONGODB_URI };
}
