// The client side of subscriptions: graphql-ws (graphql-transport-ws) on the gateway's own
// /graphql path. Queries and mutations sent over the socket run through Apollo Server exactly like
// HTTP ones; subscriptions run through the SubscriptionGateway.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { WebSocket, WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ApolloServer } from '@apollo/server';
import { bearerToken, exceedsJsonDepth, jsonTooDeepMessage, MAX_JSON_DEPTH, REQUEST_ID_HEADER, requestIdFrom, type Logger, type TokenVerifier } from '@exchange/platform';
import { callerKey, type GatewayContext } from './datasource';
import { checkOperationLimits, type OperationLimits } from './limits';
import type { GatewayMetrics } from './metrics';
import { notAllowedForPartner, OperationAllowList, persistedHashOf, unknownPersistedOperation } from './persisted';
import type { SubscriptionGateway } from './subscriptions';

type ConnectionState = {
  context?: GatewayContext;
  /** The identity this connection is counted under (connections and operations per identity). */
  identityKey?: string;
  /** Closes the connection when the token expires. */
  expiry?: NodeJS.Timeout;
};

/** `exp` of an already verified JWT, in ms. */
function expiresAt(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** What graphql-ws hands to `execute`/`subscribe` as the context value. */
interface WsOperationContext {
  gateway: GatewayContext;
  source: string;
  /** The client's operation id and its socket: subscription events are written to it directly. */
  id: string;
  socket: WebSocket;
}

/**
 * Subscription events are serialised once per event, not once per subscriber. Subscribers that
 * share an upstream stream (same token, operation and variables) receive the same completed result
 * object, so its `next` message is built once: everything but the id, as one Buffer that every
 * socket of the group writes as the first fragment of a text message; the second (last) fragment
 * is the subscriber's own id, encoded once per subscription. The id comes last in the JSON object
 * (graphql-transport-ws does not care about key order), so no subscriber copies the payload.
 */
const eventFrames = new WeakMap<object, Buffer>();

function eventFrame(result: ExecutionResult, format: (e: unknown) => GraphQLFormattedError): Buffer {
  let frame = eventFrames.get(result);
  if (!frame) {
    const payload = result.errors ? { ...result, errors: result.errors.map(format) } : result;
    frame = Buffer.from(`{"type":"next","payload":${JSON.stringify(payload)},"id":`, 'utf8');
    eventFrames.set(result, frame);
  }
  return frame;
}

/**
 * Wraps a federated subscription so that its events go straight to the socket (see eventFrame)
 * instead of through graphql-ws's per-subscriber copy and stringify. graphql-ws still owns the
 * operation: it sees an iterator that yields nothing and ends when the subscription ends (then it
 * sends `complete`), or throws (then it sends `error`), and it calls return() on the client's
 * `complete` or a disconnect. Each write waits for the socket to take the bytes, as graphql-ws
 * did, so a slow consumer still backs up into its own bounded queue (SUBSCRIPTION_OVERFLOW).
 */
function writeDirect(
  inner: AsyncIterableIterator<ExecutionResult>,
  socket: WebSocket,
  id: string,
  format: (e: unknown) => GraphQLFormattedError,
): AsyncIterableIterator<ExecutionResult> {
  const tail = Buffer.from(`${JSON.stringify(id)}}`, 'utf8');
  let ended = false;
  // The TCP socket under the WebSocket: corked around both fragments, so they leave in one writev.
  const tcp = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  const send = (head: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return resolve();
      tcp?.cork();
      try {
        socket.send(head, { binary: false, fin: false });
        socket.send(tail, { binary: false, fin: true }, (err) => (err ? reject(err) : resolve()));
      } finally {
        tcp?.uncork();
      }
    });
  const it: AsyncIterableIterator<ExecutionResult> = {
    async next(): Promise<IteratorResult<ExecutionResult>> {
      for (;;) {
        const r = await inner.next();
        if (r.done || ended) return { done: true, value: undefined };
        await send(eventFrame(r.value, format));
      }
    },
    async return(): Promise<IteratorResult<ExecutionResult>> {
      ended = true;
      await inner.return?.();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
      ended = true;
      await inner.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

export interface GatewayWsOptions {
  httpServer: Server;
  maxPayload: number;
  apollo: ApolloServer<GatewayContext>;
  subscriptions: SubscriptionGateway;
  verifier: TokenVerifier;
  limits: OperationLimits;
  allowList?: OperationAllowList;
  metrics: GatewayMetrics;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  isStopping: () => boolean;
  maxOperationsPerConnection: number;
  maxOperationsPerIdentity: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxConnectionsPerIdentity: number;
  initTimeoutMs: number;
}

/** Refuses an upgrade with a plain HTTP answer: no WebSocket is opened, nothing is parsed. */
function refuseUpgrade(socket: Duplex, status: number, text: string, message: string) {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const socketOf = (ctx: { extra: unknown }) => (ctx.extra as { socket: { close(code: number, reason: string): void } }).socket;

const MAX_TIMER_MS = 2 ** 31 - 1;

const coded = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

export function startGatewayWs(opts: GatewayWsOptions) {
  const { subscriptions, metrics, logger } = opts;
  // noServer: attached to the HTTP server's upgrades only. With `server:` ws re-emits the HTTP
  // server's own errors (a taken port at listen) on the WebSocket server, where graphql-ws prints
  // them with a stack as an "internal error"; the gateway reports those itself, in one line.
  const wsServer = new WebSocketServer({ noServer: true, path: '/graphql', maxPayload: opts.maxPayload });
  // Limits before the handshake: in total and per client address (an upgrade refused costs no
  // WebSocket). 3,000 anonymous connections were all accepted before these.
  let open = 0;
  const perAddress = new Map<string, number>();
  opts.httpServer.on('upgrade', (req, socket, head) => {
    const address = req.socket.remoteAddress ?? '';
    if (open >= opts.maxConnections) {
      metrics.wsRefusals.inc({ reason: 'total' });
      return refuseUpgrade(socket, 503, 'Service Unavailable', `The gateway has ${opts.maxConnections} WebSocket connections open; try again later`);
    }
    if ((perAddress.get(address) ?? 0) >= opts.maxConnectionsPerAddress) {
      metrics.wsRefusals.inc({ reason: 'address' });
      return refuseUpgrade(socket, 429, 'Too Many Requests', `At most ${opts.maxConnectionsPerAddress} WebSocket connections per client address`);
    }
    open++;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      open--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
    };
    socket.once('close', release);
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });
  /** Open connections per verified identity, with their graphql-ws contexts (to count operations). */
  const perIdentity = new Map<string, Set<{ subscriptions: Record<string, unknown> }>>();
  wsServer.on('connection', (socket) => {
    metrics.wsConnections.inc();
    socket.once('close', () => metrics.wsConnections.dec());
  });

  const format = (e: unknown): GraphQLFormattedError => {
    const err = e instanceof GraphQLError ? e : e instanceof Error ? new GraphQLError(e.message, { originalError: e }) : null;
    // Results of Apollo's executeOperation are already formatted.
    const formatted = err ? opts.formatError(err.toJSON(), err) : (e as GraphQLFormattedError);
    if (formatted.extensions && 'http' in formatted.extensions) {
      const { http: _http, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    }
    return formatted;
  };

  const cleanup = useServer<Record<string, unknown>, ConnectionState>(
    {
      // Validation happens in onSubscribe against the current API schema.
      schema: () => subscriptions.apiSchema,
      // A socket that never sends connection_init is closed (4408) instead of held open.
      connectionInitWaitTimeout: opts.initTimeoutMs,
      onConnect: async (ctx) => {
        if (opts.isStopping()) return false;
        const params = ctx.connectionParams ?? {};
        const header = (params.authorization ?? params.Authorization) as unknown;
        try {
          const token = bearerToken(typeof header === 'string' ? header : undefined);
          const identity = token ? await opts.verifier.verify(token) : null;
          ctx.extra.context = {
            authorization: token ? `Bearer ${token}` : undefined,
            requestId: requestIdFrom(params[REQUEST_ID_HEADER] as string | undefined),
            identity: identity ? { sub: identity.sub, role: identity.role } : null,
          };
          if (identity) {
            // One partner token held 200 connections × 100 subscriptions before this limit.
            const key = callerKey(ctx.extra.context);
            const mine = perIdentity.get(key) ?? new Set();
            if (mine.size >= opts.maxConnectionsPerIdentity) {
              metrics.wsRefusals.inc({ reason: 'identity' });
              // 4403 (graphql-ws Forbidden): the client does not retry it.
              socketOf(ctx).close(4403, `Forbidden: at most ${opts.maxConnectionsPerIdentity} connections per identity`);
              return false;
            }
            mine.add(ctx);
            perIdentity.set(key, mine);
            ctx.extra.identityKey = key;
          }
          const exp = token ? expiresAt(token) : undefined;
          if (exp !== undefined) {
            // A subscription never outlives its token: at expiry the connection closes with 4401 and
            // every subscription on it ends upstream; the client reconnects with a fresh token.
            const arm = () => {
              const left = exp - Date.now();
              // setTimeout cannot wait longer than 2^31-1 ms; long-lived tokens re-arm.
              ctx.extra.expiry = setTimeout(
                () => (Date.now() >= exp ? socketOf(ctx).close(4401, 'Unauthenticated: token expired') : arm()),
                Math.min(Math.max(0, left), MAX_TIMER_MS),
              );
              ctx.extra.expiry.unref();
            };
            arm();
          }
          return true;
        } catch (err) {
          // 4401: the token is invalid, so retrying with it is pointless (graphql-ws clients do not retry 4401).
          let reason = `Unauthenticated: ${(err as Error).message}`;
          while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1); // the WebSocket limit for a close reason
          socketOf(ctx).close(4401, reason);
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        if (opts.isStopping()) return [coded('The gateway is shutting down; reconnect', 'SHUTTING_DOWN')];
        if (Object.keys(ctx.subscriptions).length > opts.maxOperationsPerConnection) {
          metrics.wsRefusals.inc({ reason: 'connection_subscriptions' });
          return [coded(`At most ${opts.maxOperationsPerConnection} operations may be open on one connection`, 'TOO_MANY_SUBSCRIPTIONS')];
        }
        const siblings = ctx.extra.identityKey ? perIdentity.get(ctx.extra.identityKey) : undefined;
        if (siblings) {
          // This operation is already registered (as null) on its connection, as in the check above.
          let n = 0;
          for (const c of siblings) n += Object.keys(c.subscriptions).length;
          if (n > opts.maxOperationsPerIdentity) {
            metrics.wsRefusals.inc({ reason: 'identity_subscriptions' });
            return [coded(`At most ${opts.maxOperationsPerIdentity} operations may be open for one identity over all its connections`, 'TOO_MANY_SUBSCRIPTIONS')];
          }
        }
        if (exceedsJsonDepth(payload.variables) || exceedsJsonDepth(payload.extensions)) {
          return [new GraphQLError(jsonTooDeepMessage(), { extensions: { code: 'BAD_REQUEST', limit: MAX_JSON_DEPTH } })];
        }
        const context = ctx.extra.context!;
        let source = payload.query;
        const hash = persistedHashOf(payload.extensions);
        if (!source && hash) {
          source = opts.allowList?.queryFor(hash) ?? '';
          if (!source) return [unknownPersistedOperation()];
        }
        if (opts.allowList && context.identity?.role === 'PARTNER' && !opts.allowList.allows(source)) return [notAllowedForPartner()];
        let document: DocumentNode;
        try {
          document = parse(source, { maxTokens: opts.limits.maxTokens });
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const schema = subscriptions.apiSchema;
        const operation = getOperationAST(document, payload.operationName);
        const variables = (payload.variables ?? {}) as Record<string, unknown>;
        const contextValue: WsOperationContext = { gateway: context, source, id, socket: (ctx.extra as unknown as { socket: WebSocket }).socket };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: variables,
          contextValue,
        };
        // Queries and mutations: Apollo Server validates, limits and executes them as over HTTP.
        if (!operation || operation.operation !== 'subscription') return args;
        const errors = validate(schema, document);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
        if (coerced.errors) return coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
        const limitError = checkOperationLimits(schema, document, operation, variables, opts.limits);
        if (limitError) return [limitError];
        return { ...args, variableValues: coerced.coerced };
      },
      execute: async (args: ExecutionArgs) => {
        const { gateway, source } = args.contextValue as WsOperationContext;
        const response = await opts.apollo.executeOperation(
          { query: source, variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined, operationName: args.operationName ?? undefined },
          { contextValue: gateway },
        );
        if (response.body.kind !== 'single') return { errors: [coded('Incremental delivery is not supported', 'BAD_REQUEST')] };
        const result = response.body.singleResult;
        metrics.operations.inc({ transport: 'ws', type: operationType(args), outcome: result.errors?.length ? 'error' : 'ok' });
        return result as ExecutionResult;
      },
      subscribe: async (args: ExecutionArgs) => {
        const { gateway, socket, id } = args.contextValue as WsOperationContext;
        try {
          const iterator = subscriptions.subscribe({
            document: args.document,
            operationName: args.operationName,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            context: gateway,
          });
          metrics.operations.inc({ transport: 'ws', type: 'subscription', outcome: 'ok' });
          return writeDirect(iterator, socket, id, format) as AsyncGenerator<ExecutionResult>;
        } catch (err) {
          metrics.operations.inc({ transport: 'ws', type: 'subscription', outcome: 'error' });
          logger.warn({ err }, 'subscription could not start');
          return { errors: [err instanceof GraphQLError ? err : coded((err as Error).message, 'INTERNAL_SERVER_ERROR')] };
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => ({
        ...result,
        ...(result.errors ? { errors: result.errors.map(format) } : {}),
      }),
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
      onClose: async (ctx) => {
        clearTimeout(ctx.extra.expiry);
        const key = ctx.extra.identityKey;
        const mine = key !== undefined ? perIdentity.get(key) : undefined;
        if (mine) {
          mine.delete(ctx);
          if (mine.size === 0) perIdentity.delete(key!);
        }
      },
    },
    wsServer,
  );
  return { wsServer, dispose: () => cleanup.dispose() };
}

function operationType(args: ExecutionArgs): string {
  return getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
}
