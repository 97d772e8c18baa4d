import { z } from 'zod';
import { authEnv, ConfigError, productionProblems, isProduction, offInProductionUnlessSet, queryLimitEnv, bool, httpUrl, logLevel, loadConfig, mongoUri, port } from '@exchange/platform';

const ms = (fallback: number, min = 10) => z.coerce.number().int().min(min).max(86_400_000).default(fallback);

const schema = z.object({
  MODERATOR_HOST: z.string().default('127.0.0.1'),
  MODERATOR_PORT: port(4001),
  /** The switch-facing route server (docs/ROUTE-SERVER.md); 0 = any free port (tests). */
  ROUTE_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  ROUTE_SERVER_PORT: port(4003),
  /** How often counted routing attempts are added to the database and pushed to billing. */
  ROUTE_ATTEMPTS_FLUSH_MS: ms(1000),
  MONGODB_URI: mongoUri.default('mongodb://127.0.0.1:27017'),
  MODERATOR_MONGODB_URI: mongoUri.optional(),
  MODERATOR_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('exchange_moderator'),
  BILLING_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  PUBSUB_PREFIX: z.string().default('exchange:'),
  /** With REDIS_URL: publish a new version of each collection written and name the collections each answer read, so gateways may keep answers (RESPONSE_CACHE). */
  DATA_VERSIONS: bool(true),
  MODERATOR_SIGNING_KEY_FILE: z.string().optional(),
  /** HMAC key of the competitor pseudonyms on bid boards; required in production (with the default anyone can recompute them). */
  BOARD_PSEUDONYM_SECRET: z.string().min(16, 'must be at least 16 characters').default('development-pseudonym-secret'),
  SEED_DEMO_DATA: bool(false),
  /** Schema introspection and `_service` for any caller; default true, false in production (then ADMIN tokens only for `_service`). */
  INTROSPECTION: bool(true),
  /** /metrics without a token; default true, false in production (then an ADMIN bearer token is required). */
  METRICS_PUBLIC: bool(true),
  LOG_LEVEL: logLevel,
  ...queryLimitEnv,
  /** The scheduler closes requests whose biddingClosesAt has passed; every instance may run it. */
  SCHEDULER_ENABLED: bool(true),
  SCHEDULER_INTERVAL_MS: ms(1000),
  /** A close claimed by an instance that died is taken over after this long. */
  CLOSE_LEASE_MS: ms(30_000),
  /** The outbox worker delivers selection records to billing's recordSelection. */
  OUTBOX_ENABLED: bool(true),
  OUTBOX_INTERVAL_MS: ms(1000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  /** First retry delay; doubles per failed attempt up to OUTBOX_BACKOFF_MAX_MS. */
  OUTBOX_BACKOFF_BASE_MS: ms(1000, 1),
  OUTBOX_BACKOFF_MAX_MS: ms(300_000, 1),
  /** How long a claimed delivery belongs to one instance before another may take it over. */
  OUTBOX_LEASE_MS: ms(30_000),
  BILLING_TIMEOUT_MS: ms(10_000),
  /** An award whose selection record has not reached billing this long after the close is a metric and a warning. */
  OUTBOX_OVERDUE_MS: ms(120_000, 100),
  /** Full rebuild of the in-memory routing index (drops expired awards; repairs anything missed). */
  ROUTING_RELOAD_MS: ms(600_000, 1000),
  ...authEnv,
});

export type ModeratorConfig = z.infer<typeof schema> & { mongodbUri: string };

export function loadModeratorConfig(env: NodeJS.ProcessEnv = process.env): ModeratorConfig {
  const c = loadConfig(schema, env);
  const problems = productionProblems(env, { tokens: true, secrets: ['BOARD_PSEUDONYM_SECRET'], signingKey: 'MODERATOR_SIGNING_KEY_FILE' });
  const production = isProduction(env);
  // Demo parties come with development-token instructions that production refuses: never seeded there.
  if (production && c.SEED_DEMO_DATA) problems.push('SEED_DEMO_DATA: demo buyers and carriers are never seeded in production (unset it, or set false)');
  if (problems.length) throw new ConfigError(['production (NODE_ENV=production or a production key setting) refuses to start:', ...problems]);
  return {
    ...c,
    ...offInProductionUnlessSet(env, c, ['INTROSPECTION', 'METRICS_PUBLIC']),
    mongodbUri: c.MODERATOR_MONGODB_URI ?? c.MONGODB_URI,
  };
}
