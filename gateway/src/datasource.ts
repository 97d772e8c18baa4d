import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { DATA_READS_HEADER, REQUEST_ID_HEADER, backoffMs } from '@exchange/platform';
import { InFlight, upstreamKey } from './inflight';
import { mergeOperations, mergeVariables, splitAnswer, type MergedPlan } from './merge';
import type { GatewayMetrics } from './metrics';
import type { OperationReads } from './response-cache';

/** What the gateway knows about the caller of one operation (HTTP request or WebSocket subscriber). */
export interface GatewayContext {
  /** The caller's `Authorization` header, verified by the gateway and forwarded unchanged. */
  authorization?: string;
  requestId: string;
  identity: { sub: string; role: string } | null;
  /** What the subgraphs said they read for this operation, when its answer may be kept (response-cache.ts). */
  reads?: OperationReads;
}

/**
 * Who the caller is, for keying shared work (deduplication, upstream sockets): the verified role
 * and subject, never the raw token text. Several tokens of one identity are one caller.
 */
export function callerKey(context: Partial<Pick<GatewayContext, 'identity' | 'authorization'>>): string {
  if (context.identity) return `${context.identity.role} ${context.identity.sub}`;
  // No verified identity: anonymous, or a request the gateway makes itself (schema loading).
  return context.identity === null ? '' : `unverified ${context.authorization ?? ''}`;
}

export interface SubgraphPolicy {
  timeoutMs: number;
  /** Extra attempts for queries; mutations get exactly one. */
  retries: number;
  /** Join identical concurrent queries into one subgraph request (default true). */
  dedupe?: boolean;
  /** Most connections kept open to one subgraph. */
  connections?: number;
  /** Send the queries one operation issues together to this subgraph as one request (default true). */
  merge?: boolean;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
/** Wait before retry n of a query: 50 ms, 100 ms, 200 ms …, at most 2 s. */
const RETRY_BACKOFF = { baseMs: 50, maxMs: 2_000 };

/** Planner-generated operations start with their keyword; only these are known to be side-effect free. */
export const isMutationText = (query: string | undefined) => /^\s*mutation\b/.test(query ?? '');

/** What one subgraph request came back with, before anyone parsed it: shareable between waiters. */
type Outcome =
  | { kind: 'answer'; status: number; text: string; reads?: string }
  | { kind: 'timeout' }
  | { kind: 'unavailable' };

/** A query waiting for the turn's other fetches to the same subgraph. */
interface Waiter {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  resolve(response: GatewayGraphQLResponse): void;
  reject(err: unknown): void;
}

/** Bounds the cache of merged requests (plans × combinations of fetches running together). */
const MAX_MERGED_PLANS = 1000;

function settle(w: Waiter, answer: () => GatewayGraphQLResponse): void {
  try {
    w.resolve(answer());
  } catch (err) {
    w.reject(err);
  }
}

/**
 * One subgraph's connections (an undici Pool: keep-alive, no web streams or fetch machinery) and
 * its in-flight queries. Shared by every data source of that subgraph URL in one gateway.
 */
export class Upstream {
  readonly pool: Pool;
  readonly path: string;
  readonly inflight = new InFlight<Outcome>();

  constructor(readonly url: string, connections?: number) {
    const u = new URL(url);
    this.path = `${u.pathname}${u.search}`;
    this.pool = new Pool(u.origin, { connections: connections ?? 128, keepAliveTimeout: 30_000 });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Forwards the caller's token and request id so each subgraph verifies and logs the same call;
 * bounds every attempt with a timeout and retries idempotent operations (queries) on network
 * errors and 502/503/504, never after a timeout (the subgraph may still be working on it). Mutations are sent once: a lost answer is reported, never repeated.
 *
 * Identical queries in flight at once (same subgraph, same Authorization, same body) are sent once
 * (see InFlight): every waiter then parses the answer's text itself, because the gateway merges
 * subgraph results into its response objects in place and must never share them. Mutations are
 * never joined. The shared request carries the first caller's request id.
 */
export class ForwardingDataSource implements GraphQLDataSource<GatewayContext> {
  readonly url: string;
  /** Queries waiting to be sent together, per incoming operation (its request context). */
  private readonly batches = new WeakMap<object, Waiter[]>();
  /** Merged requests by the operation texts they join; null: those cannot be merged. */
  private readonly plans = new Map<string, MergedPlan | null>();

  constructor(
    private readonly serviceName: string,
    private readonly upstream: Upstream,
    private readonly policy: SubgraphPolicy,
    private readonly metrics?: GatewayMetrics,
  ) {
    this.url = upstream.url;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = options.request;
    const context = (options.context ?? {}) as Partial<GatewayContext>;
    const mutation = isMutationText(query);
    // One incoming operation's execution: its fetches issued in the same turn are siblings of
    // a Parallel node (or independent branches), never one waiting for another's answer.
    // (The kind enum is not exported by @apollo/gateway's entry point: only incoming operations carry a request context.)
    const owner = 'incomingRequestContext' in options ? (options.incomingRequestContext as object | undefined) : undefined;
    if (!mutation && query && owner && !extensions && this.policy.merge !== false) {
      return new Promise((resolve, reject) => this.enqueue(owner, { query, variables, operationName, resolve, reject }, context));
    }
    return this.answer(await this.outcome(JSON.stringify({ query, variables, operationName, extensions }), context, mutation), context);
  }

  /** The subgraph's raw answer to one body, joined with an identical query in flight when allowed. */
  private outcome(body: string, context: Partial<GatewayContext>, mutation: boolean): Promise<Outcome> {
    if (mutation || this.policy.dedupe === false) return this.send(body, context, mutation);
    const { promise, joined } = this.upstream.inflight.run(upstreamKey(callerKey(context), body), () => this.send(body, context, false));
    if (joined) {
      this.metrics?.deduplicated.inc({ direction: 'outbound', target: this.serviceName });
      context.reads?.spoil();
    }
    return promise;
  }

  /**
   * Collects the queries one operation sends to this subgraph until the event loop has run every
   * continuation pending now (setImmediate comes after the microtasks and I/O of this turn), then
   * sends them as one request.
   */
  private enqueue(owner: object, waiter: Waiter, context: Partial<GatewayContext>): void {
    let batch = this.batches.get(owner);
    if (!batch) {
      const fresh: Waiter[] = (batch = []);
      this.batches.set(owner, fresh);
      setImmediate(() => {
        this.batches.delete(owner);
        void this.flush(fresh, context);
      });
    }
    batch.push(waiter);
  }

  private async flush(batch: Waiter[], context: Partial<GatewayContext>): Promise<void> {
    const plan = batch.length > 1 ? this.planFor(batch) : undefined;
    if (!plan) {
      await Promise.all(batch.map((w) => this.alone(w, context)));
      return;
    }
    const body = JSON.stringify({ query: plan.query, variables: mergeVariables(plan, batch.map((w) => w.variables)), operationName: plan.operationName });
    let outcome: Outcome;
    try {
      outcome = await this.outcome(body, context, false);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    let split: ReturnType<typeof splitAnswer>;
    try {
      split = splitAnswer(plan, batch.length, this.answer(outcome, context));
    } catch {
      // No GraphQL answer (timeout, unreachable, bad response): each fetch gets its own error.
      for (const w of batch) settle(w, () => this.answer(outcome, context));
      return;
    }
    if (split.parts) {
      this.metrics?.mergedFetches.inc({ subgraph: this.serviceName }, batch.length);
      batch.forEach((w, i) => w.resolve(split.parts![i]));
      return;
    }
    if (split.failed.size === 0) {
      // The request as a whole was refused (a limit the merged request alone exceeds, say): apart.
      await Promise.all(batch.map((w) => this.alone(w, context)));
      return;
    }
    // A fetch whose `_entities` field failed nulled the whole merged answer: it gets the answer it
    // would have had alone (data null, its errors); the others are sent again, without it.
    const rest: Waiter[] = [];
    batch.forEach((w, i) => {
      const failed = split.failed.get(i);
      if (failed) w.resolve(failed);
      else rest.push(w);
    });
    if (rest.length) await this.flush(rest, context);
  }

  /** One waiter sent in a request of its own. */
  private async alone(w: Waiter, context: Partial<GatewayContext>): Promise<void> {
    try {
      const outcome = await this.outcome(JSON.stringify({ query: w.query, variables: w.variables, operationName: w.operationName }), context, false);
      settle(w, () => this.answer(outcome, context));
    } catch (err) {
      w.reject(err);
    }
  }

  /** The merged request of these fetches (cached by their operation texts: the planner's are stable per plan). */
  private planFor(batch: Waiter[]): MergedPlan | undefined {
    const key = batch.map((w) => w.query).join('\0');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      if (this.plans.size >= MAX_MERGED_PLANS) this.plans.clear();
      plan = mergeOperations(batch.map((w) => w.query), batch[0].operationName) ?? null;
      this.plans.set(key, plan);
    }
    return plan ?? undefined;
  }

  /** Parses an outcome into this caller's own response objects (or its own error); notes what the subgraph read. */
  private answer(outcome: Outcome, context: Partial<GatewayContext>): GatewayGraphQLResponse {
    const name = this.serviceName;
    context.reads?.note(outcome.kind === 'answer' ? outcome.reads : undefined);
    if (outcome.kind === 'timeout') {
      throw new GraphQLError(`Subgraph "${name}" did not answer within ${this.policy.timeoutMs} ms`, {
        extensions: { code: 'SUBGRAPH_TIMEOUT', serviceName: name },
      });
    }
    if (outcome.kind === 'unavailable') {
      throw new GraphQLError(`Subgraph "${name}" is unreachable`, { extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: name } });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(outcome.text);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && ('data' in parsed || 'errors' in parsed)) {
      // Subgraphs answer coded errors (e.g. 401 UNAUTHENTICATED) with a GraphQL body: pass it on as is.
      const { data, errors, extensions: ext } = parsed as GatewayGraphQLResponse;
      return { data, errors, extensions: ext };
    }
    const down = RETRYABLE_STATUS.has(outcome.status);
    throw new GraphQLError(`Subgraph "${name}" answered HTTP ${outcome.status} without a GraphQL response`, {
      extensions: { code: down ? 'SUBGRAPH_UNAVAILABLE' : 'SUBGRAPH_BAD_RESPONSE', serviceName: name },
    });
  }

  /** The HTTP exchange with its timeout and retries; counts one request per exchange. */
  private async send(body: string, context: Partial<GatewayContext>, mutation: boolean): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (context.authorization) headers.authorization = context.authorization;
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    const attempts = mutation ? 1 : 1 + this.policy.retries;
    const name = this.serviceName;
    const { pool, path } = this.upstream;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      // One timer per attempt bounds the whole exchange (headers and body), as AbortSignal.timeout did.
      const abort = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, this.policy.timeoutMs);
      try {
        const res = await pool.request({ path, method: 'POST', headers, body, signal: abort.signal });
        if (RETRYABLE_STATUS.has(res.statusCode) && !last) {
          await res.body.dump().catch(() => undefined);
          this.metrics?.subgraphRetries.inc({ subgraph: name });
          clearTimeout(timer);
          await sleep(backoffMs(attempt, RETRY_BACKOFF));
          continue;
        }
        const text = await res.body.text();
        clearTimeout(timer);
        const graphql = text.startsWith('{') && (text.includes('"data"') || text.includes('"errors"'));
        const down = RETRYABLE_STATUS.has(res.statusCode);
        this.metrics?.subgraphRequests.inc({ subgraph: name, outcome: graphql ? 'ok' : down ? 'unavailable' : 'bad_response' });
        const reads = res.headers[DATA_READS_HEADER];
        return { kind: 'answer', status: res.statusCode, text, reads: typeof reads === 'string' ? reads : undefined };
      } catch {
        clearTimeout(timer);
        // A timeout is never retried: the subgraph may still be computing a costly answer, and
        // repeating the call would multiply that cost (a lost connection or 502/503/504 is retried).
        if (!last && !timedOut) {
          this.metrics?.subgraphRetries.inc({ subgraph: name });
          await sleep(backoffMs(attempt, RETRY_BACKOFF));
          continue;
        }
        this.metrics?.subgraphRequests.inc({ subgraph: name, outcome: timedOut ? 'timeout' : 'unavailable' });
        return { kind: timedOut ? 'timeout' : 'unavailable' };
      }
    }
  }
}
