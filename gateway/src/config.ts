import path from 'node:path';
import { z } from 'zod';
import { assertProductionReady, authEnv, ConfigError, isProduction, offInProductionUnlessSet, bool, httpUrl, logLevel, loadConfig, port } from '@exchange/platform';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/** `name=url,name=url`: per-subgraph URL overrides on top of the supergraph's own URLs. */
const subgraphUrls = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const out: Record<string, string> = {};
    for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const name = eq > 0 ? part.slice(0, eq).trim() : '';
      const url = eq > 0 ? part.slice(eq + 1).trim() : '';
      if (!name || !httpUrl.safeParse(url).success) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not name=http(s)://url` });
        return z.NEVER;
      }
      out[name] = url;
    }
    return out;
  });

const schema = z.object({
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port(4000),
  MODERATOR_URL: httpUrl.default('http://127.0.0.1:4001/graphql'),
  BILLING_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  /** The moderator's route server; the gateway forwards `/route/*` to it unchanged. */
  ROUTE_SERVER_URL: httpUrl.default('http://127.0.0.1:4003'),
  /** Extra per-subgraph URL overrides (`name=url,…`); win over MODERATOR_URL/BILLING_URL and the supergraph. */
  SUBGRAPH_URLS: subgraphUrls,
  SUPERGRAPH_PATH: z.string().default(path.resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql')),
  /** Development only: compose from the live subgraphs instead of the committed supergraph. */
  INTROSPECT_AND_COMPOSE: bool(false),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  PUBSUB_PREFIX: z.string().default('exchange:'),
  /**
   * With REDIS_URL: keep whole answers to queries per caller and request, and answer an identical
   * request from them while the collections they were read from are unchanged (response-cache.ts).
   */
  RESPONSE_CACHE: bool(true),
  /** Longest a kept answer is served, whatever the versions say (bounds values computed from the clock). */
  RESPONSE_CACHE_TTL_MS: positiveInt(10_000),
  /** Memory for kept answers per gateway process, in MB. */
  RESPONSE_CACHE_MAX_MB: positiveInt(64),
  /** Schema introspection; default true, false in production. */
  INTROSPECTION: bool(true),
  /** The gateway's own query page at GET /graphql for browsers (explorer.ts); default true, false in production. */
  LANDING_PAGE: bool(true),
  /** /metrics without a token; default true, false in production (then an ADMIN bearer token is required). */
  METRICS_PUBLIC: bool(true),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/, 'e.g. 1mb').default('32mb'),
  /** Request bodies without a valid token: refused beyond this before reading or parsing them (anonymous operations are small). */
  UNAUTHENTICATED_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/, 'e.g. 64kb').default('64kb'),
  /** Deepest field nesting an operation may have (root fields are depth 1; introspection is not counted). */
  MAX_QUERY_DEPTH: positiveInt(12),
  /** Highest cost an operation may have: every field costs 1, multiplied by the sizes of the lists around it. */
  MAX_QUERY_COST: positiveInt(5000),
  /** Assumed size of a list field without a `first`/`last`/`limit`/`take` argument, for the cost estimate. */
  DEFAULT_LIST_SIZE: positiveInt(10),
  /** Most lexical tokens an operation's text may have; the parser stops beyond it (200,000 aliases are 600,000 tokens). */
  MAX_QUERY_TOKENS: positiveInt(10000),
  /** Most items one list in an operation's variables may hold (ingestUsage takes 10,000 records per call). */
  MAX_LIST_ITEMS: positiveInt(10000),
  /** Per attempt, per subgraph HTTP request. */
  SUBGRAPH_TIMEOUT_MS: positiveInt(10000),
  /** Extra attempts for idempotent operations (queries) after a network error or 502/503/504; never after a timeout, never for mutations. */
  SUBGRAPH_RETRIES: nonNegativeInt(2),
  /** Join identical queries in flight towards a subgraph (same caller token, same body) into one request. */
  DEDUPE_SUBGRAPH_QUERIES: bool(true),
  /** Join identical query operations in flight from the same caller (same token, same body) into one execution. */
  DEDUPE_OPERATIONS: bool(true),
  /** Send the fetches one operation issues together to one subgraph (a plan's parallel `_entities` fetches) as one request. */
  MERGE_SUBGRAPH_FETCHES: bool(true),
  /** Most keep-alive connections to one subgraph. */
  SUBGRAPH_CONNECTIONS: positiveInt(128),
  /** Apollo's data collection (the gateway's OpenTelemetry export to Apollo, usage and schema reporting); off unless set. */
  APOLLO_TELEMETRY: bool(false),
  /**
   * JSON file `{ "<sha256 of the query text>": "<query>" }`: PARTNER tokens may only run these
   * operations. On by default with the committed list; `none` turns it off (development and tests
   * of resolvers only; refused in production).
   */
  PARTNER_OPERATIONS_FILE: z.string().default(path.resolve(__dirname, '..', '..', 'schema', 'partner-operations.json')),
  /** Events buffered per subscription while earlier ones are still being completed; beyond it the subscription ends with an error. */
  SUBSCRIPTION_QUEUE_LIMIT: positiveInt(256),
  /** Operations (mostly subscriptions) one client WebSocket connection may have open at once. */
  MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  /** Client WebSocket connections open at once on this gateway; beyond it an upgrade is answered 503. */
  WS_MAX_CONNECTIONS: positiveInt(10000),
  /** Client WebSocket connections from one client address; beyond it an upgrade is answered 429 (raise it behind a proxy that does not keep client addresses). */
  WS_MAX_CONNECTIONS_PER_ADDRESS: positiveInt(100),
  /** Client WebSocket connections of one verified identity (role and subject); beyond it the connection is closed with 4403. */
  WS_MAX_CONNECTIONS_PER_IDENTITY: positiveInt(20),
  /** Operations (mostly subscriptions) one identity may have open over all its connections. */
  MAX_SUBSCRIPTIONS_PER_IDENTITY: positiveInt(200),
  /** A client WebSocket that has not sent connection_init within this time is closed with 4408. */
  WS_INIT_TIMEOUT_MS: positiveInt(3000),
  /** Ping interval on upstream subgraph WebSockets; no pong within it closes the socket and errors its subscriptions. */
  UPSTREAM_KEEPALIVE_MS: nonNegativeInt(12000),
  /** The built web portal served at /portal (`npm run build` writes it). */
  PORTAL_DIR: z.string().default(path.resolve(__dirname, '..', '..', 'portal', 'dist')),
  /** `production` turns off the portal's demo sign-in even with the development secret. */
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: logLevel,
  ...authEnv,
});

export type GatewayConfig = z.infer<typeof schema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = loadConfig(schema, env);
  assertProductionReady(env, { tokens: true });
  const production = isProduction(env);
  if (production && c.PARTNER_OPERATIONS_FILE === 'none') {
    throw new ConfigError(['PARTNER_OPERATIONS_FILE: production keeps the partner allow-list on (set a file, not none)']);
  }
  return {
    ...c,
    ...offInProductionUnlessSet(env, c, ['INTROSPECTION', 'LANDING_PAGE', 'METRICS_PUBLIC']),
  };
}
