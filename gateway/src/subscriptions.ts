// Federated subscriptions: @apollo/gateway plans subscriptions but refuses to execute them, so
// this module runs the plan itself. The query planner splits a subscription into
// `Subscription { primary: Fetch, rest?: PlanNode }`: `primary` is the part the subgraph owning
// the root field resolves (opened here as an upstream graphql-ws subscription under the
// subscriber's own token), and `rest` is an ordinary query plan (entity fetches on the other
// subgraphs) that runs once per event, with the event as the initial result. So a subscription's
// selection set completes exactly like a query's, under the subscriber's identity.
// (One file over 400 lines: planning, the upstream connection and per-event execution share the
// plan and the subscriber's state; apart they would only pass them around.)
import { getOperationAST, Kind, parse, print, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '@exchange/platform';
import { REQUEST_ID_HEADER } from '@exchange/platform';
import { callerKey, type GatewayContext } from './datasource';
import type { GatewayMetrics } from './metrics';

/** The pseudo-service whose "fetch" hands the upstream event to the query plan executor. */
const EVENT_SERVICE = '__subscription_event__';

interface FederatedSchema {
  /** graphql-js API schema: what clients validate against. */
  apiSchema: GraphQLSchema;
  fedApiSchema: Schema;
  supergraphSchema: GraphQLSchema;
  planner: QueryPlanner;
  urls: Map<string, string>;
  services: ServiceMap;
}

interface SubscriptionPlan {
  primary: FetchNode;
  rest?: PlanNode;
  /**
   * The owning subgraph resolves exactly the client's selection (no other subgraph's fields, the
   * same selection text, no fragments): an event without errors is the client's result as it is,
   * and running the plan executor over it (result shaping) would only copy it.
   */
  passThrough: boolean;
}

/** Whether the fetch `operation` selects exactly what the client's operation selects. */
function selectsExactly(document: DocumentNode, operationName: string | null | undefined, operation: string): boolean {
  if (document.definitions.some((d) => d.kind === Kind.FRAGMENT_DEFINITION)) return false;
  const client = getOperationAST(document, operationName);
  const fetch = getOperationAST(parse(operation));
  return !!client && !!fetch && print(client.selectionSet) === print(fetch.selectionSet);
}

export interface SubscriptionGatewayOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Where subgraph `name` really is (URL overrides win over the supergraph's URL). */
  urlFor(name: string, supergraphUrl: string): string;
  /** The HTTP data source used for the entity fetches of each event. */
  dataSourceFor(name: string, url: string): GraphQLDataSource<GatewayContext>;
  queueLimit: number;
  keepAliveMs: number;
  /** Bound on opening an upstream socket: HTTP upgrade, then connection_ack. */
  connectTimeoutMs: number;
}

const toWsUrl = (httpUrl: string) => httpUrl.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);

function codedError(message: string, code: string, extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

function isCloseEvent(v: unknown): v is { code: number; reason: string } {
  return !!v && typeof v === 'object' && 'code' in v && 'reason' in v;
}

/** Turns whatever the upstream graphql-ws client reported into one coded error for the subscriber. */
function upstreamFailure(subgraph: string, err: unknown): GraphQLError {
  if (Array.isArray(err) && err.length && typeof err[0]?.message === 'string') {
    const first = err[0] as GraphQLFormattedError;
    return new GraphQLError(first.message, { extensions: { ...(first.extensions ?? {}), serviceName: subgraph } });
  }
  if (isCloseEvent(err) && (err.code === 4401 || err.code === 4403)) {
    return codedError(`Subgraph "${subgraph}" refused the subscriber's token`, 'UNAUTHENTICATED', { serviceName: subgraph });
  }
  const detail = isCloseEvent(err) ? ` (close code ${err.code}${err.reason ? `: ${err.reason}` : ''})` : '';
  return codedError(`The connection to subgraph "${subgraph}" was lost${detail}; subscribe again`, 'SUBGRAPH_UNAVAILABLE', {
    serviceName: subgraph,
  });
}

/**
 * Upstream graphql-ws clients of ONE verified identity (role and subject): one socket per subgraph,
 * opened under the token of the first subscriber when the first subscription there starts and
 * closed when the last one ends (lazy). Connections of the same identity share it, whichever of
 * its tokens they present; every subscription on it ends when its client connection does (token
 * expiry closes the connection), so the socket never outlives the last valid token it serves.
 */
export class UpstreamConnection {
  private readonly clients = new Map<string, Client>();
  private disposed = false;

  constructor(
    private readonly context: GatewayContext,
    private readonly keepAliveMs: number,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  clientFor(subgraph: string, httpUrl: string): Client {
    if (this.disposed) throw codedError('The connection is closing', 'SHUTTING_DOWN');
    const key = `${subgraph} ${httpUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      let pongTimer: NodeJS.Timeout | undefined;
      let socket: WebSocket | undefined;
      const keepAliveMs = this.keepAliveMs;
      const connectTimeoutMs = this.connectTimeoutMs;
      // A subgraph that accepts TCP but never upgrades must not hang the subscriber either.
      class BoundedWebSocket extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { handshakeTimeout: connectTimeoutMs });
        }
      }
      client = createClient({
        url: toWsUrl(httpUrl),
        webSocketImpl: BoundedWebSocket,
        connectionAckWaitTimeout: connectTimeoutMs,
        lazy: true,
        lazyCloseTimeout: 0,
        // A lost upstream is reported to the subscriber, who resubscribes; never a silent hang.
        retryAttempts: 0,
        keepAlive: keepAliveMs,
        connectionParams: {
          ...(this.context.authorization ? { authorization: this.context.authorization } : {}),
          [REQUEST_ID_HEADER]: this.context.requestId,
        },
        on: {
          connected: (s) => {
            socket = s as WebSocket;
          },
          ping: (received) => {
            // No pong within the keep-alive interval: the subgraph is gone without closing; close it ourselves.
            if (!received && keepAliveMs > 0) {
              clearTimeout(pongTimer);
              pongTimer = setTimeout(() => {
                // terminate(), not close(): a close handshake with a peer that does not answer would wait 30 s.
                if (socket?.readyState === WebSocket.OPEN) socket.terminate();
              }, keepAliveMs);
              pongTimer.unref();
            }
          },
          pong: (received) => {
            if (received) clearTimeout(pongTimer);
          },
          closed: () => {
            clearTimeout(pongTimer);
            socket = undefined;
          },
        },
      });
      this.clients.set(key, client);
      this.logger.debug({ subgraph }, 'upstream subscription client created');
    }
    return client;
  }

  async dispose() {
    this.disposed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(clients.map((c) => c.dispose()));
  }
}

/** What a shared upstream stream calls on each of its subscribers. */
interface Sink {
  next(result: ExecutionResult): void;
  error(err: unknown): void;
  complete(): void;
}

/**
 * One upstream subscription shared by every subscriber that sent the same operation with the same
 * variables under the same token (so the same identity: the owning subgraph would answer each of
 * them the same). The subgraph resolves and sends each event once, and the gateway completes it
 * once; without this, an event with 1,000 subscribers cost the subgraph and the gateway 1,000
 * resolutions. Subscribers keep their own queues, so a slow one never holds the others back.
 */
interface SharedStream {
  attach(sink: Sink): () => void;
  /** Completes an event once, whoever asks first (the same event object reaches every sink). */
  complete(event: ExecutionResult): Promise<ExecutionResult>;
}

type Item = { kind: 'event'; result: ExecutionResult } | { kind: 'error'; error: GraphQLError } | { kind: 'complete' };

/**
 * One client subscription: an async iterator of completed results. `return()` (client's
 * `complete`, disconnect, shutdown) unsubscribes upstream at once, even while waiting for an event.
 */
class FederatedSubscription implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Item[] = [];
  private waiter?: (item: Item) => void;
  private done = false;
  private unsubscribe?: () => void;
  private inFlight?: Promise<unknown>;

  constructor(
    private readonly subgraph: string,
    private readonly queueLimit: number,
    private readonly completeEvent: (result: ExecutionResult) => Promise<ExecutionResult>,
    private readonly onFinish: () => void,
    private readonly logger: Logger,
  ) {}

  start(attach: (sink: Sink) => () => void) {
    this.unsubscribe = attach({
      next: (result) => this.push({ kind: 'event', result }),
      error: (err) => {
        const error = upstreamFailure(this.subgraph, err);
        this.logger.warn({ subgraph: this.subgraph, code: error.extensions.code, err: error.message }, 'upstream subscription failed');
        this.push({ kind: 'error', error });
      },
      complete: () => this.push({ kind: 'complete' }),
    });
  }

  private push(item: Item) {
    if (this.done) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(item);
      return;
    }
    if (item.kind === 'event' && this.queue.length >= this.queueLimit) {
      // A subscriber that cannot keep up is told so, instead of silently losing events.
      this.queue.length = 0;
      this.queue.push({
        kind: 'error',
        error: codedError(`More than ${this.queueLimit} events were waiting for this subscriber; subscribe again`, 'SUBSCRIPTION_OVERFLOW'),
      });
      this.release();
      return;
    }
    this.queue.push(item);
  }

  /** Unsubscribes upstream (once). */
  private release() {
    const u = this.unsubscribe;
    this.unsubscribe = undefined;
    if (u) {
      try {
        u();
      } catch {
        // the upstream client is already gone
      }
    }
  }

  private finish() {
    if (this.done) return;
    this.done = true;
    this.release();
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ kind: 'complete' });
    this.onFinish();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.done) return { done: true, value: undefined };
    const item = this.queue.shift() ?? (await new Promise<Item>((resolve) => (this.waiter = resolve)));
    if (this.done) return { done: true, value: undefined };
    if (item.kind === 'complete') {
      this.finish();
      return { done: true, value: undefined };
    }
    if (item.kind === 'error') {
      this.finish();
      throw item.error;
    }
    const work = this.completeEvent(item.result);
    this.inFlight = work;
    let value: ExecutionResult;
    try {
      value = await work;
    } catch (err) {
      // Never leave the upstream subscription open behind a failed event.
      this.finish();
      throw err;
    } finally {
      this.inFlight = undefined;
    }
    // Completed meanwhile (client unsubscribed, shutdown): nothing more goes out for this id.
    if (this.done) return { done: true, value: undefined };
    return { done: false, value };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    throw err;
  }

  /** Ends the subscription as if the subgraph had completed it; resolves once an event being completed is done. */
  async end() {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w({ kind: 'complete' });
    } else this.queue.unshift({ kind: 'complete' });
    await this.inFlight?.catch(() => undefined);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

export interface SubscribeArgs {
  document: DocumentNode;
  operationName?: string | null;
  variables: Record<string, unknown>;
  context: GatewayContext;
}

export class SubscriptionGateway {
  private schema?: FederatedSchema;
  private readonly plans = new Map<string, SubscriptionPlan>();
  private readonly active = new Set<FederatedSubscription>();
  /** Upstream sockets per token (shared by the streams opened under it), with their stream count. */
  private readonly upstreams = new Map<string, { connection: UpstreamConnection; streams: number }>();
  /** Shared upstream streams by token, subgraph, operation and variables. */
  private readonly streams = new Map<string, SharedStream>();

  constructor(private readonly opts: SubscriptionGatewayOptions) {}

  /** (Re)builds planner and services from the supergraph the HTTP gateway just loaded. */
  update(coreSupergraphSdl: string, apiSchema: GraphQLSchema) {
    const supergraph = Supergraph.build(coreSupergraphSdl);
    const urls = new Map<string, string>();
    const services: ServiceMap = Object.create(null);
    for (const { name, url } of supergraph.subgraphsMetadata()) {
      const real = this.opts.urlFor(name, url);
      urls.set(name, real);
      services[name] = this.opts.dataSourceFor(name, real);
    }
    this.schema = {
      apiSchema,
      fedApiSchema: supergraph.apiSchema(),
      supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      planner: new QueryPlanner(supergraph),
      urls,
      services,
    };
    this.plans.clear();
  }

  get apiSchema(): GraphQLSchema {
    if (!this.schema) throw new Error('The supergraph is not loaded yet');
    return this.schema.apiSchema;
  }

  get activeCount() {
    return this.active.size;
  }

  /** The subgraphs of the loaded supergraph and where they really are. */
  subgraphUrls(): Record<string, string> {
    return Object.fromEntries(this.schema?.urls ?? []);
  }

  private upstreamFor(context: GatewayContext): { connection: UpstreamConnection; release: () => void } {
    // By verified identity, not token text: 300 tokens of one partner share one socket per subgraph.
    const key = callerKey(context);
    let entry = this.upstreams.get(key);
    if (!entry) {
      entry = { connection: new UpstreamConnection(context, this.opts.keepAliveMs, this.opts.connectTimeoutMs, this.opts.logger), streams: 0 };
      this.upstreams.set(key, entry);
    }
    entry.streams++;
    const mine = entry;
    let released = false;
    return {
      connection: entry.connection,
      release: () => {
        if (released) return;
        released = true;
        if (--mine.streams > 0) return;
        if (this.upstreams.get(key) === mine) this.upstreams.delete(key);
        void mine.connection.dispose();
      },
    };
  }

  private sharedStream(
    key: string,
    subgraph: string,
    url: string,
    context: GatewayContext,
    request: { query: string; variables: Record<string, unknown>; operationName?: string },
    completeEvent: (event: ExecutionResult) => Promise<ExecutionResult>,
  ): SharedStream {
    const existing = this.streams.get(key);
    if (existing) return existing;
    const { metrics } = this.opts;
    const sinks = new Set<Sink>();
    const completions = new WeakMap<object, Promise<ExecutionResult>>();
    let upstream: ReturnType<SubscriptionGateway['upstreamFor']> | undefined;
    let unsubscribe: (() => void) | undefined;
    let ended = false;
    // Ends the upstream side once: removed from the registry first, so later subscribers open a new one.
    const end = () => {
      if (ended) return;
      ended = true;
      if (this.streams.get(key) === stream) this.streams.delete(key);
      const u = unsubscribe;
      unsubscribe = undefined;
      if (u) {
        metrics.upstreamSubscriptions.dec({ subgraph });
        try {
          u();
        } catch {
          // the upstream client is already gone
        }
      }
      upstream?.release();
    };
    const each = (f: (s: Sink) => void) => {
      for (const s of [...sinks]) f(s);
    };
    const stream: SharedStream = {
      complete: (event) => {
        let p = completions.get(event);
        if (!p) completions.set(event, (p = completeEvent(event)));
        return p;
      },
      attach: (sink) => {
        sinks.add(sink);
        if (!upstream && !ended) {
          try {
            upstream = this.upstreamFor(context);
            unsubscribe = upstream.connection.clientFor(subgraph, url).subscribe(request, {
              next: (result) => each((s) => s.next(result as ExecutionResult)),
              error: (err) => {
                end();
                each((s) => s.error(err));
              },
              complete: () => {
                end();
                each((s) => s.complete());
              },
            });
            metrics.upstreamSubscriptions.inc({ subgraph });
          } catch (err) {
            sinks.delete(sink);
            end();
            throw err;
          }
        }
        return () => {
          if (sinks.delete(sink) && sinks.size === 0) end();
        };
      },
    };
    this.streams.set(key, stream);
    return stream;
  }

  private planFor(schema: FederatedSchema, document: DocumentNode, operationName?: string | null): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${print(document)}`;
    let plan = this.plans.get(key);
    if (!plan) {
      const operation = operationFromDocument(schema.fedApiSchema, document, { operationName: operationName ?? undefined, validate: false });
      const qp: QueryPlan = schema.planner.buildQueryPlan(operation);
      if (qp.node?.kind !== 'Subscription') throw codedError('Not a subscription operation', 'BAD_REQUEST');
      plan = {
        primary: qp.node.primary,
        rest: qp.node.rest,
        passThrough: !qp.node.rest && selectsExactly(document, operationName, qp.node.primary.operation),
      };
      if (this.plans.size >= 500) this.plans.clear();
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Starts a federated subscription (the document is already validated against the API schema). */
  subscribe(args: SubscribeArgs): AsyncIterableIterator<ExecutionResult> {
    const schema = this.schema;
    if (!schema) throw new Error('The supergraph is not loaded yet');
    const plan = this.planFor(schema, args.document, args.operationName);
    const subgraph = plan.primary.serviceName;
    const url = schema.urls.get(subgraph);
    if (!url) throw codedError(`Unknown subgraph "${subgraph}"`, 'INTERNAL_SERVER_ERROR');

    const operationContext = buildOperationContext({
      schema: schema.apiSchema,
      operationDocument: args.document,
      operationName: args.operationName ?? undefined,
    });
    const eventNode: FetchNode = { ...plan.primary, serviceName: EVENT_SERVICE };
    const node: PlanNode = plan.rest ? { kind: 'Sequence', nodes: [eventNode, plan.rest] } : eventNode;
    const { metrics, logger } = this.opts;

    const completeEvent = async (event: ExecutionResult): Promise<ExecutionResult> => {
      metrics.subscriptionEvents.inc({ subgraph });
      // No data: the subgraph refused or failed this event; pass its coded errors on.
      if (!event.data) return { errors: (event.errors ?? []).map((e) => new GraphQLError(e.message, { extensions: e.extensions })) };
      if (plan.passThrough && !event.errors?.length) return { data: event.data };
      const eventSource: GraphQLDataSource = {
        process: async () => ({ data: event.data as Record<string, unknown>, errors: event.errors as never }),
      };
      const requestContext = {
        request: { query: plan.primary.operation, variables: args.variables, operationName: args.operationName ?? undefined },
        context: args.context,
        logger,
        metrics: {},
        document: args.document,
        operationName: args.operationName ?? null,
        operation: operationContext.operation,
      };
      return executeQueryPlan(
        { kind: 'QueryPlan', node },
        { ...schema.services, [EVENT_SERVICE]: eventSource },
        requestContext as never,
        operationContext,
        schema.supergraphSchema,
        schema.fedApiSchema,
      ) as Promise<ExecutionResult>;
    };

    const variables: Record<string, unknown> = {};
    for (const name of plan.primary.variableUsages ?? []) if (name in args.variables) variables[name] = args.variables[name];
    const request = { query: plan.primary.operation, variables, ...(plan.primary.operationName ? { operationName: plan.primary.operationName } : {}) };
    // Same token, same operation, same variables: the same results, so one upstream stream.
    const key = JSON.stringify([callerKey(args.context), subgraph, url, args.operationName ?? '', print(args.document), args.variables]);
    const stream = this.sharedStream(key, subgraph, url, args.context, request, completeEvent);

    metrics.activeSubscriptions.inc({ subgraph });
    const sub: FederatedSubscription = new FederatedSubscription(
      subgraph,
      this.opts.queueLimit,
      stream.complete,
      () => {
        this.active.delete(sub);
        metrics.activeSubscriptions.dec({ subgraph });
      },
      logger.child({ requestId: args.context.requestId }),
    );
    this.active.add(sub);
    try {
      sub.start(stream.attach);
    } catch (err) {
      void sub.return();
      throw err;
    }
    return sub;
  }

  /** Completes every open subscription (graceful shutdown): each client receives `complete`. */
  async endAll() {
    await Promise.all([...this.active].map((s) => s.end()));
  }
}
