import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { expressMiddleware } from '@as-integrations/express5';
import {
  bearerToken,
  createErrorFormatter,
  createLogger,
  createTokenVerifier,
  operatorOnly,
  REQUEST_ID_HEADER,
  renderMetrics,
  requestIdFrom,
  type Logger,
} from '@exchange/platform';
import type { GatewayConfig } from './config';
import { ForwardingDataSource, type GatewayContext } from './datasource';
import { checkOperationLimits, type OperationLimits } from './limits';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { notAllowedForPartner, OperationAllowList, persistedHashOf, unknownPersistedOperation } from './persisted';
import { mountPortal } from './portal';
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

function sendError(res: Response, status: number, message: string, code: string, extra: Record<string, unknown> = {}) {
  res.status(status).json({ errors: [{ message, extensions: { code, ...extra } }] });
}

export async function createGatewayApp(config: GatewayConfig, opts: GatewayAppOptions = {}): Promise<GatewayApp> {
  const logger = opts.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const metrics = createGatewayMetrics();
  const verifier = createTokenVerifier(config);
  const allowList = config.PARTNER_OPERATIONS_FILE ? OperationAllowList.fromFile(config.PARTNER_OPERATIONS_FILE) : undefined;
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
  const policy = { timeoutMs: config.SUBGRAPH_TIMEOUT_MS, retries: config.SUBGRAPH_RETRIES };
  const dataSourceFor = (name: string, url: string) => new ForwardingDataSource(name, url, policy, metrics);

  const gateway = new ApolloGateway({
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

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
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
      config.LANDING_PAGE ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
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
  });

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.on('finish', () => {
      const route = req.path.split('/').slice(0, 2).join('/') || '/';
      metrics.httpDuration.observe({ route, method: req.method, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/ready', async (_req, res) => {
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
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks) });
  });
  app.get('/metrics', operatorOnly(verifier, config.METRICS_PUBLIC), async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await renderMetrics(metrics.registry));
  });

  await mountPortal(app, config, logger);

  /** Verifies the bearer token once here; subgraphs verify the forwarded token again. */
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = bearerToken(req.headers.authorization);
      const identity = token ? await verifier.verify(token) : null;
      res.locals.gateway = {
        authorization: token ? `Bearer ${token}` : undefined,
        requestId: String(req.headers[REQUEST_ID_HEADER]),
        identity: identity ? { sub: identity.sub, role: identity.role } : null,
      } satisfies GatewayContext;
      next();
    } catch (err) {
      sendError(res, 401, (err as Error).message, 'UNAUTHENTICATED');
    }
  };

  /** Resolves persisted-operation hashes from the allow-list; PARTNER tokens may run only listed operations. */
  const persisted = (req: Request, res: Response, next: NextFunction) => {
    if (!allowList) return next();
    const context = res.locals.gateway as GatewayContext;
    const body = req.body as Record<string, unknown> | undefined;
    const isPost = req.method === 'POST' && body && typeof body === 'object' && !Array.isArray(body);
    let query = isPost ? body.query : req.query.query;
    let extensions: unknown = isPost ? body.extensions : req.query.extensions;
    if (typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        extensions = undefined;
      }
    }
    const hash = persistedHashOf(extensions);
    if (hash && isPost) {
      if (typeof query !== 'string') query = allowList.queryFor(hash);
      if (typeof query !== 'string') {
        const e = unknownPersistedOperation();
        return sendError(res, 400, e.message, 'PERSISTED_QUERY_NOT_FOUND');
      }
      const { persistedQuery: _pq, ...rest } = extensions as Record<string, unknown>;
      body.query = query;
      body.extensions = rest;
    }
    if (context.identity?.role === 'PARTNER' && !(typeof query === 'string' && allowList.allows(query))) {
      const e = notAllowedForPartner();
      return sendError(res, 403, e.message, 'FORBIDDEN', { reason: 'OPERATION_NOT_IN_ALLOW_LIST' });
    }
    next();
  };

  app.use(
    '/graphql',
    express.json({ limit: config.BODY_LIMIT }),
    (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = err as { type?: string; status?: number; message?: string };
      if (e?.type === 'entity.too.large') {
        return sendError(res, 413, `The request body is larger than the limit of ${config.BODY_LIMIT}`, 'PAYLOAD_TOO_LARGE', {
          limit: config.BODY_LIMIT,
        });
      }
      if (e?.status === 400) return sendError(res, 400, `The request body is not valid JSON: ${e.message}`, 'BAD_REQUEST');
      next(err);
    },
    (req: Request, _res: Response, next: NextFunction) => {
      // Apollo requires a body even for bodiless requests (GET, or a non-JSON POST that CSRF prevention refuses).
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      next();
    },
    authenticate,
    persisted,
    expressMiddleware(server, {
      context: async ({ res }) => res.locals.gateway as GatewayContext,
    }),
  );

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
      })();
      return stopped;
    },
  };
}
