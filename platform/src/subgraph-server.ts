import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { BREAK, getOperationAST, GraphQLError, parse, validate, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { bearerToken, type TokenVerifier } from './auth';
import { createErrorFormatter } from './errors';
import { renderMetrics, requestLabels, type ServiceMetrics } from './metrics';
import { operatorOnly } from './operator-access';
import { ADMINISTRATORS, hasRole, SEES_EVERY_PARTY } from './roles';
import { checkOperationLimits, DEFAULT_QUERY_LIMITS, type OperationLimits } from './query-limits';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import type { Identity } from './roles';
import { exceedsJsonDepth, jsonTooDeepMessage, MAX_JSON_DEPTH } from './json-depth';
import { DATA_READS_HEADER, type DataVersionTracker } from './data-versions';

/** Paths every subgraph serves; routes a subgraph adds report their own pattern. */
const SUBGRAPH_ROUTES = ['/graphql', '/health', '/ready', '/metrics'] as const;

/** What every resolver gets, before a subgraph adds its own dataloaders and repositories. */
export interface BaseContext {
  identity: Identity | null;
  requestId: string;
  logger: Logger;
}

export interface SubgraphServerOptions<Ctx extends BaseContext> {
  service: string;
  schema: GraphQLSchema;
  host: string;
  port: number;
  logger: Logger;
  verifier: TokenVerifier;
  metrics: ServiceMetrics;
  /** Readiness: the database answers. */
  ready: () => Promise<boolean>;
  /** Adds per-request state (dataloaders must be per request so caches never cross callers). */
  buildContext: (base: BaseContext) => Ctx;
  bodyLimit?: string;
  /** Body limit for requests without a valid token (default 64kb). */
  unauthenticatedBodyLimit?: string;
  introspection?: boolean;
  /** Extra HTTP routes (e.g. billing's posted bills); mounted before /graphql. */
  routes?: (app: Express) => void;
  plugins?: ApolloServerPlugin<Ctx>[];
  /** Depth, cost, token and variable-list bounds, as at the gateway (a subgraph does not trust that only the gateway calls it). */
  limits?: OperationLimits;
  /** /metrics without a token (development); otherwise an ADMIN bearer token is required. Default true. */
  metricsPublic?: boolean;
  /** Notes what each GraphQL request reads (DATA_READS_HEADER) so gateways may keep its answer. */
  dataVersions?: DataVersionTracker;
}

/** Whether a document selects the federation `_service` field (the subgraph's SDL) anywhere, fragments included. */
function selectsService(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '_service') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** A body, or a GET's `variables`/`extensions`, nesting deeper than MAX_JSON_DEPTH. */
function tooDeep(body: unknown, query: Record<string, unknown>): boolean {
  if (exceedsJsonDepth(body, MAX_JSON_DEPTH + 1)) return true;
  for (const name of ['variables', 'extensions']) {
    const text = query[name];
    if (typeof text !== 'string') continue;
    try {
      if (exceedsJsonDepth(JSON.parse(text))) return true;
    } catch {
      // Not JSON: Apollo answers that itself.
    }
  }
  return false;
}

/** The gateway's cost limit for tenants; operator tools get OPERATOR_MAX_QUERY_COST. */
function limitsFor(limits: OperationLimits, identity: Identity | null | undefined): OperationLimits {
  const operator = hasRole(identity, SEES_EVERY_PARTY);
  return operator && limits.operatorMaxCost ? { ...limits, maxCost: limits.operatorMaxCost } : limits;
}

/**
 * Operation limits and, with introspection off, `_service` only for operators: the two checks a
 * subgraph makes itself before executing anything.
 */
function subgraphGuard<Ctx extends BaseContext>(limits: OperationLimits, introspection: boolean): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, contextValue }) {
          if (!operation) return;
          if (!introspection && selectsService(document)) {
            if (!hasRole(contextValue.identity, ADMINISTRATORS)) {
              throw new GraphQLError('_service (the subgraph SDL) is for operators only while introspection is off', {
                extensions: { code: 'FORBIDDEN', field: '_service', http: { status: 403 } },
              });
            }
          }
          const error = checkOperationLimits(schema, document, operation, request.variables ?? {}, limitsFor(limits, contextValue.identity));
          if (error) throw error;
        },
      };
    },
  };
}

/** Names the collections an answer was read from, once the request's own writes have new versions. */
function dataReadsPlugin<Ctx extends BaseContext>(tracker: DataVersionTracker): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const reads = await tracker.finish();
          if (reads !== undefined) response.http.headers.set(DATA_READS_HEADER, reads);
        },
      };
    },
  };
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  stop(): Promise<void>;
}

async function identityFrom(verifier: TokenVerifier, header: unknown): Promise<Identity | null> {
  const token = bearerToken(typeof header === 'string' ? header : undefined);
  return token ? verifier.verify(token) : null;
}

/**
 * An Apollo subgraph over HTTP (queries, mutations) and graphql-ws on the same /graphql path
 * (subscriptions, consumed by the gateway), plus /health, /ready and /metrics.
 */
export async function startSubgraphServer<Ctx extends BaseContext>(opts: SubgraphServerOptions<Ctx>): Promise<RunningServer> {
  const { logger, metrics, verifier } = opts;
  const limits = { ...DEFAULT_QUERY_LIMITS, ...(opts.limits ?? {}) };
  const introspection = opts.introspection ?? true;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  const formatError = createErrorFormatter(logger, (code) => metrics.graphqlErrors.inc({ code }));
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { identity?: Identity | null; requestId?: string }>(
    {
      schema: opts.schema,
      onConnect: async (ctx) => {
        try {
          const params = ctx.connectionParams ?? {};
          ctx.extra.identity = await identityFrom(verifier, params.authorization ?? params.Authorization);
          ctx.extra.requestId = requestIdFrom(params[REQUEST_ID_HEADER] as string | undefined);
          return true;
        } catch {
          return false;
        }
      },
      // Subscriptions get the same parser token bound and operation limits as HTTP operations.
      onSubscribe: (_ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query ?? '', { maxTokens: limits.maxTokens });
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(opts.schema, document);
        if (errors.length) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify operation', { extensions: { code: 'BAD_REQUEST' } })];
        if (exceedsJsonDepth(payload.variables) || exceedsJsonDepth(payload.extensions)) {
          return [new GraphQLError(jsonTooDeepMessage(), { extensions: { code: 'BAD_REQUEST', limit: MAX_JSON_DEPTH } })];
        }
        const limitError = checkOperationLimits(opts.schema, document, operation, (payload.variables ?? {}) as Record<string, unknown>, limitsFor(limits, _ctx.extra.identity));
        if (limitError) return [limitError];
        return { schema: opts.schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      context: (ctx) =>
        opts.buildContext({
          identity: ctx.extra.identity ?? null,
          requestId: ctx.extra.requestId ?? requestIdFrom(undefined),
          logger: logger.child({ requestId: ctx.extra.requestId }),
        }),
      // Subscription results get the same error mapping as HTTP: domain errors keep their code
      // (FORBIDDEN, …), unexpected ones are masked.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
    },
    wsServer,
  );

  const server = new ApolloServer<Ctx>({
    schema: opts.schema,
    introspection,
    parseOptions: { maxTokens: limits.maxTokens },
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns signal handling; Apollo's own handler would re-raise the signal after stopping.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Federated traces are for Apollo's hosted service, which this project does not use.
      ApolloServerPluginInlineTraceDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      {
        async requestDidStart({ contextValue, request }) {
          contextValue.logger.debug({ operationName: request.operationName }, 'graphql operation');
        },
      },
      subgraphGuard<Ctx>(limits, introspection),
      ...(opts.dataVersions ? [dataReadsPlugin<Ctx>(opts.dataVersions)] : []),
      ...(opts.plugins ?? []),
    ],
  });
  await server.start();

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    (req as unknown as { requestId: string }).requestId = requestId;
    res.on('finish', () => {
      // A matched route's pattern (a fixed set), else a known prefix, else `other`: never the raw path.
      // originalUrl: a mounted router (Apollo on /graphql) has cut req.path to '/' by now.
      const labels = requestLabels(req.originalUrl.split('?')[0], req.method, SUBGRAPH_ROUTES);
      const route = typeof req.route?.path === 'string' ? req.route.path : labels.route;
      metrics.httpDuration.observe(
        { route, method: labels.method, status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: opts.service });
  });
  app.get('/ready', async (_req, res) => {
    const ok = await opts.ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', service: opts.service });
  });
  app.get('/metrics', operatorOnly(verifier, opts.metricsPublic ?? true), async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await renderMetrics(metrics.registry));
  });
  opts.routes?.(app);
  // Bodies of callers without a valid token are refused beyond a small limit before they are
  // parsed (32 MB bodies were read and parsed for anyone); the token is verified from the headers.
  const jsonForTokens = express.json({ limit: opts.bodyLimit ?? '1mb' });
  const jsonForAnyone = express.json({ limit: opts.unauthenticatedBodyLimit ?? '64kb' });
  app.use(
    '/graphql',
    (req, res, next) => {
      identityFrom(verifier, req.headers.authorization).then(
        (identity) => (identity ? jsonForTokens : jsonForAnyone)(req, res, next),
        () => jsonForAnyone(req, res, next),
      );
    },
    (req, res, next) => {
      if (tooDeep(req.body, req.query as Record<string, unknown>)) {
        res.status(400).json({ errors: [{ message: jsonTooDeepMessage(), extensions: { code: 'BAD_REQUEST', limit: MAX_JSON_DEPTH } }] });
        return;
      }
      next();
    },
    // Every read command of the execution is noted in this request's scope (data-versions.ts).
    (_req, _res, next) => (opts.dataVersions ? opts.dataVersions.run(next) : next()),
    expressMiddleware(server, {
      context: async ({ req }) => {
        const requestId = (req as unknown as { requestId: string }).requestId;
        const identity = await identityFrom(verifier, req.headers.authorization);
        return opts.buildContext({ identity, requestId, logger: logger.child({ requestId }) });
      },
    }),
  );
  app.use((req, res) => {
    res.status(404).type('text/plain').send(`Cannot ${req.method} ${req.path}`);
  });
  // Errors outside GraphQL execution (a body that is not JSON or too large, a route's failure):
  // a short message, never Express's HTML page with the stack trace (shown outside production).
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string };
    const status = e.status ?? e.statusCode ?? 500;
    const message = status < 500 && e.expose !== false && e.message ? e.message : 'Internal server error';
    if (status >= 500) logger.error({ err }, 'request failed');
    if (res.headersSent) return void res.destroy();
    if (req.path === '/graphql' || req.originalUrl.startsWith('/graphql')) {
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
      res.status(status).json({ errors: [{ message, extensions: { code } }] });
      return;
    }
    res.status(status).type('text/plain').send(message);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${opts.host}:${port}/graphql`;
  logger.info({ url }, `${opts.service} listening`);
  return {
    url,
    port,
    httpServer,
    async stop() {
      await server.stop();
    },
  };
}
