import { createHash } from 'node:crypto';
import { z } from 'zod';
import { authEnv, ConfigError, productionProblems, isProduction, offInProductionUnlessSet, queryLimitEnv, bool, DEV_JWT_SECRET, httpUrl, logLevel, loadConfig, mongoUri, port } from '@exchange/platform';

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
  /** With REDIS_URL: publish a new version of each collection written and name the collections each answer read, so gateways may keep answers (RESPONSE_CACHE). */
  DATA_VERSIONS: bool(true),
  BILLING_SIGNING_KEY_FILE: z.string().optional(),
  INGEST_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'e.g. 20mb').default('32mb'),
  /** Schema introspection and `_service` for any caller; default true, false in production (then ADMIN tokens only for `_service`). */
  INTROSPECTION: bool(true),
  /** /metrics without a token; default true, false in production (then an ADMIN bearer token is required). */
  METRICS_PUBLIC: bool(true),
  /** DIRECT: billing delivers bills itself; VIA_MODERATOR: also hands each bill to the Moderator's relayBill (claim 12). */
  BILL_DELIVERY_PATH: z.enum(['DIRECT', 'VIA_MODERATOR']).default('DIRECT'),
  /** Secret for the signed, expiring bill-document links; required in production, derived from the development secret otherwise. */
  BILL_LINK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Lifetime of a signed bill link, and the furthest-ahead `expires` a link may carry (7 days: a bill's webhook is retried for about that long). */
  BILL_LINK_MAX_TTL_SECONDS: z.coerce.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
  /** Run the delivery worker and the usage-feed poller in this process. */
  WORKERS: bool(true),
  /** How often the workers look for due webhook/relay deliveries and feed polls. */
  WORKER_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  /** First webhook/relay retry delay; doubles per attempt up to 1 h. */
  DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  /** Highest data rate (Mbps) a DATA usage record may imply; above it the record is refused (default 400,000: a 400-gigabit port). */
  USAGE_MAX_DATA_RATE_MBPS: z.coerce.number().positive().max(100_000_000).default(400_000),
  /** Let parties register webhooks on loopback, private and link-local addresses (a private network's own receivers); off by default. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool(false),
  /** Mediation: one billable record per call across sources (services/usage/mediation.ts). */
  MEDIATION: bool(true),
  /** Default source precedence, most trusted first (comma-separated); per buyer–carrier pair: setMediationPolicy. */
  MEDIATION_PRECEDENCE: z.string().regex(/^[A-Z_]+(,[A-Z_]+)*$/, 'comma-separated usage sources').optional(),
  MEDIATION_ANSWER_TOLERANCE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  MEDIATION_DURATION_TOLERANCE_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  MEDIATION_DURATION_TOLERANCE_PERCENT: z.coerce.number().min(0).max(100).default(2),
  /** How often waiting (UNASSOCIATED) usage is swept for a selection record that now matches (services/usage/usage-sweep.ts). */
  USAGE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).max(86_400_000).default(300_000),
  /** Usage (and rating batches) untouched this long are left to the sweeper and crash recovery. */
  USAGE_RECOVERY_AFTER_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** Usage still UNASSOCIATED this long after it arrived is expired with the reason (kept, never billed). */
  USAGE_UNASSOCIATED_EXPIRY_DAYS: z.coerce.number().min(1).max(3650).default(90),
  /** Bills with at most this many billed records carry the call-detail table in their PDF; larger ones point to the CSV annex. */
  BILL_PDF_CALL_DETAIL_MAX: z.coerce.number().int().min(0).max(10_000).default(500),
  /**
   * An issued bill found without its ledger postings and number (its issuer died right after the
   * flip) is completed by another process only once issued this long: long enough that its issuer,
   * if alive, has finished (two processes numbering one bill would leave a gap in the series).
   */
  BILL_ISSUE_RECOVERY_AFTER_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  LOG_LEVEL: logLevel,
  ...queryLimitEnv,
  ...authEnv,
});

export type BillingConfig = z.infer<typeof schema> & { mongodbUri: string; linkSecret: string };

export function loadBillingConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  const c = loadConfig(schema, env);
  // Production never derives secrets from the development secret in this repository.
  const problems = productionProblems(env, {
    tokens: true,
    secrets: ['BILL_LINK_SECRET'],
    ...(c.BILL_DELIVERY_PATH === 'VIA_MODERATOR' ? { signingKey: 'BILLING_SIGNING_KEY_FILE' } : {}),
  });
  // Bill links name this base: without it they would point at billing's own port, which production keeps private.
  if (isProduction(env) && !c.BILLING_PUBLIC_URL) {
    problems.push("BILLING_PUBLIC_URL: required in production: the public base URL of the posted bills (e.g. the gateway's public URL, which forwards /bills/ to billing); billing's own port stays private");
  }
  if (problems.length) throw new ConfigError(['production (NODE_ENV=production or a production key setting) refuses to start:', ...problems]);
  const linkSecret = c.BILL_LINK_SECRET ?? createHash('sha256').update(`bill-links|${c.JWT_SECRET ?? DEV_JWT_SECRET}`).digest('hex');
  return {
    ...c,
    ...offInProductionUnlessSet(env, c, ['INTROSPECTION', 'METRICS_PUBLIC']),
    mongodbUri: c.BILLING_MONGODB_URI ?? c.MONGODB_URI,
    linkSecret,
  };
}
