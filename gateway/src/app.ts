import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import {
  bearerToken,
  createErrorFormatter,
  createLogger,
  createTokenVerifier,
  DataVersionReader,
  exceedsJsonDepth,
  jsonTooDeepMessage,
  MAX_JSON_DEPTH,
  operatorRefusal,
  REQUEST_ID_HEADER,
  renderMetrics,
  requestIdFrom,
  requestLabels,
  type Logger,
} from '@exchange/platform';
import type { GatewayConfig } from './config';
import { callerKey, ForwardingDataSource, Upstream, type GatewayContext } from './datasource';
import { BadJson, BodyTooLarge, isJson, parseJsonBody, readBody, sendError, sendJson, sendText } from './http';
import { InFlight } from './inflight';
import { inboundKey } from './inbound';
import { checkOperationLimits, type OperationLimits } from './limits';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { notAllowedForPartner, OperationAllowList, persistedHashOf, unknownPersistedOperation } from './persisted';
import { sendExplorer, wantsExplorer } from './explorer';
import { createPortalHandler } from './portal';
import { ResponseCache, OperationReads } from './response-cache';
import { createRouteProxy } from './route-proxy';
import { SubscriptionGateway } from './subscriptions';
import { startGatewayWs } from './ws';

export type { GatewayContext } from './datasource';

export interface GatewayApp {
  url: string;
  port: number;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Client subscriptions currently open on this instance. */
  activeSubscriptions(): number;
  /** Completes every open subscription (clients receive `complete`), closes sockets, drains HTTP. */
  stop(): Promise<void>;
}

export interface GatewayAppOptions {
  logger?: Logger;
  /** A supergraph SDL to serve instead of SUPERGRAPH_PATH (tests compose their own). */
  supergraphSdl?: string;
  /** Per-subgraph URL overrides; win over SUBGRAPH_URLS, MODERATOR_URL/BILLING_URL and the supergraph's URLs. */
  subgraphUrls?: Record<string, string>;
}

const BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
const bytesOf = (limit: string) => {
  const m = /^(\d+)(b|kb|mb)$/.exec(limit)!;
  return Number(m[1]) * BYTES[m[2]];
};

/** The routes the gateway serves: the only `route` label values besides `other`. */
const GATEWAY_ROUTES = ['/graphql', '/health', '/ready', '/metrics', '/portal', '/route', '/bills'] as const;

/** A complete HTTP answer of Apollo Server: shared, unchanged, by the callers of one joined operation. */
interface HttpAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * Builds an ApolloGateway without Apollo's anonymous data collection unless asked for: the gateway
 * reads APOLLO_TELEMETRY_DISABLED in its constructor and otherwise starts an OpenTelemetry exporter
 * to Apollo's cloud (and cloud metadata probes). A telecom operator's gateway makes no outbound call
 * it was not configured to make.
 */
function newApolloGateway(telemetry: boolean, config: ConstructorParameters<typeof ApolloGateway>[0]): ApolloGateway {
  const before = process.env.APOLLO_TELEMETRY_DISABLED;
  process.env.APOLLO_TELEMETRY_DISABLED = telemetry ? 'false' : 'true';
  try {
    return new ApolloGateway(config);
  } finally {
    if (before === undefined) delete process.env.APOLLO_TELEMETRY_DISABLED;
    else process.env.APOLLO_TELEMETRY_DISABLED = before;
  }
}

export async function createGatewayApp(config: GatewayConfig, opts: GatewayAppOptions = {}): Promise<GatewayApp> {
  const logger = opts.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const metrics = createGatewayMetrics();
  const verifier = createTokenVerifier(config);
  // On by default (the committed schema/partner-operations.json); `none` only outside production.
  const allowList = config.PARTNER_OPERATIONS_FILE === 'none' ? undefined : OperationAllowList.fromFile(config.PARTNER_OPERATIONS_FILE);
  const limits: OperationLimits = {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxCost: config.MAX_QUERY_COST,
    defaultListSize: config.DEFAULT_LIST_SIZE,
    maxListItems: config.MAX_LIST_ITEMS,
    maxTokens: config.MAX_QUERY_TOKENS,
  };
  const knownUrls: Record<string, string> = {
    moderator: config.MODERATOR_URL,
    billing: config.BILLING_URL,
    ...config.SUBGRAPH_URLS,
    ...(opts.subgraphUrls ?? {}),
  };
  const urlFor = (name: string, supergraphUrl: string) => knownUrls[name] ?? supergraphUrl;
  const policy = {
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    retries: config.SUBGRAPH_RETRIES,
    dedupe: config.DEDUPE_SUBGRAPH_QUERIES,
    merge: config.MERGE_SUBGRAPH_FETCHES,
    connections: config.SUBGRAPH_CONNECTIONS,
  };
  // One connection pool and one set of in-flight queries per subgraph URL, whichever data source asks.
  const upstreams = new Map<string, Upstream>();
  const upstreamFor = (url: string) => {
    let u = upstreams.get(url);
    if (!u) upstreams.set(url, (u = new Upstream(url, policy.connections)));
    return u;
  };
  const dataSourceFor = (name: string, url: string) => new ForwardingDataSource(name, upstreamFor(url), policy, metrics);

  const gateway = newApolloGateway(config.APOLLO_TELEMETRY, {
    ...(opts.supergraphSdl
      ? { supergraphSdl: opts.supergraphSdl }
      : config.INTROSPECT_AND_COMPOSE
        ? { supergraphSdl: new IntrospectAndCompose({ subgraphs: Object.entries(knownUrls).map(([name, url]) => ({ name, url })) }) }
        : { supergraphSdl: readFileSync(config.SUPERGRAPH_PATH, 'utf8') }),
    // The supergraph names the default local URLs; deployments point at their own subgraphs.
    buildService: ({ name, url }) => dataSourceFor(name, urlFor(name, url!)),
    logger,
  });

  const subscriptions = new SubscriptionGateway({
    logger,
    metrics,
    urlFor,
    dataSourceFor,
    queueLimit: config.SUBSCRIPTION_QUEUE_LIMIT,
    keepAliveMs: config.UPSTREAM_KEEPALIVE_MS,
    connectTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = schema;
    subscriptions.update(coreSupergraphSdl, schema);
  });

  const formatError = createErrorFormatter(logger, (code) => metrics.graphqlErrors.inc({ code }));

  /** Depth/cost limits, and subscriptions only over WebSocket. */
  const guard: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions run over WebSocket (graphql-transport-ws protocol) on this same /graphql path', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          if (!operation) return;
          const error = checkOperationLimits(schema ?? apiSchema!, document, operation, request.variables ?? {}, limits);
          if (error) throw error;
        },
        async willSendResponse({ response, request, operation }) {
          if (!request.http) return; // WebSocket operations are counted by the WebSocket server
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          metrics.operations.inc({ transport: 'http', type: operation?.operation ?? 'unknown', outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };

  // Set below, once Apollo Server has started (it needs the HTTP server for draining).
  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => sendText(res, 503, 'starting');
  const httpServer = createServer((req, res) => {
    handle(req, res).catch((err) => {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      else res.destroy();
    });
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.INTROSPECTION,
    // The parser gives up after this many tokens, before any validation or cost walk.
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // Persisted operations are the partner allow-list (resolved before Apollo), not Apollo's APQ cache.
    persistedQueries: false,
    formatError,
    // main.ts owns signal handling; Apollo's own handler would re-raise the signal after stopping.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's landing page loads its application from Apollo's CDN: the gateway serves its own
      // query page instead (explorer.ts, LANDING_PAGE), so Apollo's stays off either way.
      ApolloServerPluginLandingPageDisabled(),
      // Even with APOLLO_KEY in the environment: reporting to Apollo's cloud is not configured here.
      ...(config.APOLLO_TELEMETRY ? [] : [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()]),
      guard,
    ],
  });
  await server.start();

  let stopping = false;
  const ws = startGatewayWs({
    httpServer,
    maxPayload: bytesOf(config.BODY_LIMIT),
    apollo: server,
    subscriptions,
    verifier,
    limits,
    allowList,
    metrics,
    logger,
    formatError,
    isStopping: () => stopping,
    maxOperationsPerConnection: config.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxOperationsPerIdentity: config.MAX_SUBSCRIPTIONS_PER_IDENTITY,
    maxConnections: config.WS_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.WS_MAX_CONNECTIONS_PER_ADDRESS,
    maxConnectionsPerIdentity: config.WS_MAX_CONNECTIONS_PER_IDENTITY,
    initTimeoutMs: config.WS_INIT_TIMEOUT_MS,
  });

  const ready = async (res: ServerResponse) => {
    const targets = Object.entries(subscriptions.subgraphUrls());
    const checks = await Promise.all(
      targets.map(async ([name, url]) => {
        try {
          const r = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2000) });
          return [name, r.ok] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    const ok = !stopping && checks.every(([, up]) => up);
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks) });
  };

  const metricsEndpoint = async (req: IncomingMessage, res: ServerResponse) => {
    const refusal = await operatorRefusal(verifier, config.METRICS_PUBLIC, req.headers.authorization);
    if (refusal) return sendJson(res, refusal.status, refusal.body, refusal.headers);
    const text = await renderMetrics(metrics.registry);
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const portal = await createPortalHandler(config, logger);
  const routeProxy = createRouteProxy(config.ROUTE_SERVER_URL, config.SUBGRAPH_TIMEOUT_MS, logger);
  // Posted bills (billing's /bills/<id>[.pdf|.csv]) through the one public address: billing's own
  // port stays private and BILLING_PUBLIC_URL can be the gateway's URL.
  const billProxy = createRouteProxy(new URL(config.SUBGRAPH_URLS.billing ?? config.BILLING_URL).origin, config.SUBGRAPH_TIMEOUT_MS, logger, 'billing');
  /** A body, or a GET's `variables`/`extensions`, nesting deeper than MAX_JSON_DEPTH. */
  const tooDeep = (body: unknown, search: string): boolean => {
    if (exceedsJsonDepth(body, MAX_JSON_DEPTH + 1)) return true;
    if (!search) return false;
    const params = new URLSearchParams(search);
    for (const name of ['variables', 'extensions']) {
      const text = params.get(name);
      if (!text) continue;
      try {
        if (exceedsJsonDepth(JSON.parse(text))) return true;
      } catch {
        // Not JSON: Apollo answers that itself.
      }
    }
    return false;
  };
  const inbound = new InFlight<HttpAnswer>();
  const versionReader = config.REDIS_URL && config.RESPONSE_CACHE ? new DataVersionReader({ redisUrl: config.REDIS_URL, prefix: config.PUBSUB_PREFIX, logger }) : undefined;
  const responses = versionReader
    ? new ResponseCache({
        reader: versionReader,
        ttlMs: config.RESPONSE_CACHE_TTL_MS,
        maxBytes: config.RESPONSE_CACHE_MAX_MB * 1024 * 1024,
        count: (event) => metrics.responseCache.inc({ event }),
      })
    : undefined;
  // Connected before the first request where Redis answers; a Redis that does not only means nothing is kept for now.
  if (versionReader && !(await versionReader.ready(3_000))) logger.warn('Redis not reachable yet: answers are not kept until it is');

  /** A kept answer while its data is unchanged; otherwise executed, and kept when every subgraph vouches for what it read. */
  const executeOrKept = async (key: string, run: (context: GatewayContext) => Promise<HttpAnswer>, context: GatewayContext): Promise<HttpAnswer> => {
    if (!responses) return run(context);
    const kept = await responses.lookup(key);
    if (kept) {
      metrics.operations.inc({ transport: 'http', type: 'query', outcome: 'ok' });
      return kept;
    }
    const before = await responses.snapshot();
    const reads = new OperationReads();
    const answer = await run({ ...context, reads });
    responses.keep(key, answer, before, reads);
    return answer;
  };

  /** Verifies the bearer token once here (cached until its exp); subgraphs verify the forwarded token again. */
  const authenticate = async (req: IncomingMessage, requestId: string): Promise<GatewayContext> => {
    const token = bearerToken(req.headers.authorization);
    const identity = token ? await verifier.verify(token) : null;
    return {
      authorization: token ? `Bearer ${token}` : undefined,
      requestId,
      identity: identity ? { sub: identity.sub, role: identity.role } : null,
    };
  };

  /**
   * Resolves persisted-operation hashes from the allow-list (rewriting a POST body in place);
   * PARTNER tokens may run only listed operations. Answers and returns false when it refuses.
   */
  const persisted = (req: IncomingMessage, res: ServerResponse, context: GatewayContext, body: unknown, search: URLSearchParams): boolean => {
    if (!allowList) return true;
    const post = req.method === 'POST' && body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    let query: unknown = post ? post.query : search.get('query') ?? undefined;
    let extensions: unknown = post ? post.extensions : search.get('extensions') ?? undefined;
    if (typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        extensions = undefined;
      }
    }
    const hash = persistedHashOf(extensions);
    if (hash && post) {
      if (typeof query !== 'string') query = allowList.queryFor(hash);
      if (typeof query !== 'string') {
        const e = unknownPersistedOperation();
        sendError(res, 400, e.message, 'PERSISTED_QUERY_NOT_FOUND');
        return false;
      }
      const { persistedQuery: _pq, ...rest } = extensions as Record<string, unknown>;
      post.query = query;
      post.extensions = rest;
    }
    if (context.identity?.role === 'PARTNER' && !(typeof query === 'string' && allowList.allows(query))) {
      const e = notAllowedForPartner();
      sendError(res, 403, e.message, 'FORBIDDEN', { reason: 'OPERATION_NOT_IN_ALLOW_LIST' });
      return false;
    }
    return true;
  };

  const execute = async (req: IncomingMessage, search: string, body: unknown, context: GatewayContext): Promise<HttpAnswer> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search, body },
      context: async () => context,
    });
    let text: string;
    if (answer.body.kind === 'complete') text = answer.body.string;
    else {
      // Incremental delivery does not happen behind @apollo/gateway; joined into one body if it ever does.
      text = '';
      for await (const chunk of answer.body.asyncIterator) text += chunk;
    }
    return { status: answer.status ?? 200, headers: [...answer.headers], body: text };
  };

  const graphql = async (req: IncomingMessage, res: ServerResponse, url: string, requestId: string) => {
    const q = url.indexOf('?');
    const search = q >= 0 ? url.slice(q) : '';
    if (config.LANDING_PAGE && wantsExplorer(req, search)) return sendExplorer(req, res);
    // Authenticated first (headers only): the body of a caller without a valid token is not read
    // beyond UNAUTHENTICATED_BODY_LIMIT, so 32 MB bodies are no longer parsed for anyone.
    let context: GatewayContext;
    try {
      context = await authenticate(req, requestId);
    } catch (err) {
      req.resume();
      return sendError(res, 401, (err as Error).message, 'UNAUTHENTICATED');
    }
    const limit = context.identity || bytesOf(config.BODY_LIMIT) <= bytesOf(config.UNAUTHENTICATED_BODY_LIMIT) ? config.BODY_LIMIT : config.UNAUTHENTICATED_BODY_LIMIT;
    let raw: string | undefined;
    let body: unknown;
    if (req.method === 'POST' && isJson(req)) {
      try {
        raw = await readBody(req, bytesOf(limit));
        body = parseJsonBody(raw);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          const message = limit === config.BODY_LIMIT
            ? `The request body is larger than the limit of ${limit}`
            : `The request body is larger than the limit of ${limit} for requests without a token`;
          return sendJson(res, 413, { errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE', limit } }] }, { connection: 'close' });
        }
        if (err instanceof BadJson) return sendError(res, 400, `The request body is not valid JSON: ${err.message}`, 'BAD_REQUEST');
        throw err;
      }
    } else if (req.method === 'POST') {
      // Not JSON: Apollo refuses it (CSRF prevention) without a body, as it did behind Express.
      req.resume();
    }
    if (tooDeep(body, search)) return sendError(res, 400, jsonTooDeepMessage(), 'BAD_REQUEST', { limit: MAX_JSON_DEPTH });
    if (!persisted(req, res, context, body, new URLSearchParams(search))) return;

    let answer: HttpAnswer;
    // The same key joins identical queries in flight (DEDUPE_OPERATIONS) and finds kept answers (RESPONSE_CACHE).
    const key = raw !== undefined && (config.DEDUPE_OPERATIONS || responses) ? inboundKey(req, raw, body, config.MAX_QUERY_TOKENS, callerKey(context)) : undefined;
    if (key !== undefined && config.DEDUPE_OPERATIONS) {
      // Identical queries from the same caller while one is running: one execution, the same bytes to each.
      const run = inbound.run(key, () => executeOrKept(key, (ctx) => execute(req, search, body, ctx), context));
      if (run.joined) metrics.deduplicated.inc({ direction: 'inbound', target: 'gateway' });
      answer = await run.promise;
    } else if (key !== undefined) {
      answer = await executeOrKept(key, (ctx) => execute(req, search, body, ctx), context);
    } else {
      answer = await execute(req, search, body, context);
    }
    for (const [k, v] of answer.headers) res.setHeader(k, v);
    res.setHeader('content-length', Buffer.byteLength(answer.body));
    res.writeHead(answer.status);
    res.end(answer.body);
  };

  handle = async (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    res.once('finish', () => {
      const labels = requestLabels(path, req.method, GATEWAY_ROUTES);
      metrics.httpDuration.observe({ ...labels, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/graphql' || path === '/graphql/') return graphql(req, res, url, requestId);
    if (path === '/health' && read) return sendJson(res, 200, { status: 'ok', service: 'gateway' });
    if (path === '/ready' && read) return ready(res);
    if (path === '/metrics' && read) return metricsEndpoint(req, res);
    if (path === '/portal' || path.startsWith('/portal/')) return portal(req, res, path);
    if (path.startsWith('/route/')) return routeProxy.handle(req, res);
    if (path.startsWith('/bills/') && read) return billProxy.handle(req, res);
    sendText(res, 404, `Cannot ${req.method} ${path}`);
  };

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.GATEWAY_PORT, config.GATEWAY_HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.GATEWAY_HOST}:${port}/graphql`;
  logger.info({ url }, 'gateway listening');
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    logger,
    metrics,
    activeSubscriptions: () => subscriptions.activeCount,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // Complete open subscriptions first so every client receives `complete`, then close the sockets (1001).
        await subscriptions.endAll();
        await new Promise((r) => setImmediate(r));
        await ws.dispose();
        await server.stop();
        await Promise.all([...upstreams.values()].map((u) => u.close().catch(() => undefined)));
        routeProxy.close();
        billProxy.close();
        versionReader?.close();
      })();
      return stopped;
    },
  };
}
