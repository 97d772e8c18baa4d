import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { REQUEST_ID_HEADER } from '@exchange/platform';
import type { GatewayMetrics } from './metrics';

/** What the gateway knows about the caller of one operation (HTTP request or WebSocket subscriber). */
export interface GatewayContext {
  /** The caller's `Authorization` header, verified by the gateway and forwarded unchanged. */
  authorization?: string;
  requestId: string;
  identity: { sub: string; role: string } | null;
}

export interface SubgraphPolicy {
  timeoutMs: number;
  /** Extra attempts for queries; mutations get exactly one. */
  retries: number;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** Planner-generated operations start with their keyword; only these are known to be side-effect free. */
export const isMutationText = (query: string | undefined) => /^\s*mutation\b/.test(query ?? '');

/**
 * Forwards the caller's token and request id so each subgraph verifies and logs the same call;
 * bounds every attempt with a timeout and retries idempotent operations (queries) on network
 * errors and 502/503/504, never after a timeout (the subgraph may still be working on it). Mutations are sent once: a lost answer is reported, never repeated.
 */
export class ForwardingDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    readonly url: string,
    private readonly policy: SubgraphPolicy,
    private readonly metrics?: GatewayMetrics,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = options.request;
    const context = (options.context ?? {}) as Partial<GatewayContext>;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (context.authorization) headers.authorization = context.authorization;
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    const url = this.url;
    const attempts = isMutationText(query) ? 1 : 1 + this.policy.retries;
    const name = this.serviceName;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      try {
        const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.policy.timeoutMs) });
        if (RETRYABLE_STATUS.has(res.status) && !last) {
          await res.body?.cancel().catch(() => undefined);
          this.metrics?.subgraphRetries.inc({ subgraph: name });
          await sleep(50 * 2 ** (attempt - 1));
          continue;
        }
        const text = await res.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (parsed && typeof parsed === 'object' && ('data' in parsed || 'errors' in parsed)) {
          this.metrics?.subgraphRequests.inc({ subgraph: name, outcome: 'ok' });
          // Subgraphs answer coded errors (e.g. 401 UNAUTHENTICATED) with a GraphQL body: pass it on as is.
          const { data, errors, extensions: ext } = parsed as GatewayGraphQLResponse;
          return { data, errors, extensions: ext };
        }
        const down = RETRYABLE_STATUS.has(res.status);
        this.metrics?.subgraphRequests.inc({ subgraph: name, outcome: down ? 'unavailable' : 'bad_response' });
        throw new GraphQLError(`Subgraph "${name}" answered HTTP ${res.status} without a GraphQL response`, {
          extensions: { code: down ? 'SUBGRAPH_UNAVAILABLE' : 'SUBGRAPH_BAD_RESPONSE', serviceName: name },
        });
      } catch (err) {
        if (err instanceof GraphQLError) throw err;
        const timedOut = (err as Error).name === 'TimeoutError';
        // A timeout is never retried: the subgraph may still be computing a costly answer, and
        // repeating the call would multiply that cost (a lost connection or 502/503/504 is retried).
        if (!last && !timedOut) {
          this.metrics?.subgraphRetries.inc({ subgraph: name });
          await sleep(50 * 2 ** (attempt - 1));
          continue;
        }
        this.metrics?.subgraphRequests.inc({ subgraph: name, outcome: timedOut ? 'timeout' : 'unavailable' });
        throw timedOut
          ? new GraphQLError(`Subgraph "${name}" did not answer within ${this.policy.timeoutMs} ms`, {
              extensions: { code: 'SUBGRAPH_TIMEOUT', serviceName: name },
            })
          : new GraphQLError(`Subgraph "${name}" is unreachable`, { extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: name } });
      }
    }
  }
}
