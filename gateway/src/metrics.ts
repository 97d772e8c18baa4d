import { Counter, Gauge } from 'prom-client';
import { createMetrics, type ServiceMetrics } from '@exchange/platform';

export interface GatewayMetrics extends ServiceMetrics {
  /** GraphQL operations by transport (http, ws), operation type and outcome (ok, error). */
  operations: Counter<'transport' | 'type' | 'outcome'>;
  /** Open client WebSocket connections. */
  wsConnections: Gauge;
  /** Client subscriptions currently open, by subgraph owning the root field. */
  activeSubscriptions: Gauge<'subgraph'>;
  /** Upstream graphql-ws subscriptions currently open towards subgraphs. */
  upstreamSubscriptions: Gauge<'subgraph'>;
  /** Subscription events delivered to clients, by subgraph. */
  subscriptionEvents: Counter<'subgraph'>;
  /** Client WebSocket connections and operations refused by a limit: total, address, identity, connection_subscriptions, identity_subscriptions. */
  wsRefusals: Counter<'reason'>;
  subgraphRequests: Counter<'subgraph' | 'outcome'>;
  subgraphRetries: Counter<'subgraph'>;
  /** Operations answered by joining an identical one in flight: inbound (client operations) or outbound (subgraph requests). */
  deduplicated: Counter<'direction' | 'target'>;
  /** Planner fetches sent inside one merged request with other fetches of the same operation, by subgraph. */
  mergedFetches: Counter<'subgraph'>;
  /** Response cache lookups by outcome (hit, miss, stale, unavailable) and answers kept or not kept. */
  responseCache: Counter<'event'>;
}

export function createGatewayMetrics(): GatewayMetrics {
  const base = createMetrics('gateway');
  const registers = [base.registry];
  return {
    ...base,
    operations: new Counter({
      name: 'gateway_operations_total',
      help: 'GraphQL operations by transport, operation type and outcome',
      labelNames: ['transport', 'type', 'outcome'] as const,
      registers,
    }),
    wsConnections: new Gauge({ name: 'gateway_websocket_connections', help: 'Open client WebSocket connections', registers }),
    activeSubscriptions: new Gauge({
      name: 'gateway_active_subscriptions',
      help: 'Open client subscriptions, by subgraph owning the root field',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    upstreamSubscriptions: new Gauge({
      name: 'gateway_upstream_subscriptions',
      help: 'Open upstream subscriptions towards subgraphs',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    subscriptionEvents: new Counter({
      name: 'gateway_subscription_events_total',
      help: 'Subscription events delivered to clients, by subgraph',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    wsRefusals: new Counter({
      name: 'gateway_websocket_refusals_total',
      help: 'Client WebSocket connections and operations refused by a limit, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    subgraphRequests: new Counter({
      name: 'gateway_subgraph_requests_total',
      help: 'HTTP requests to subgraphs by outcome (ok, timeout, unavailable, bad_response)',
      labelNames: ['subgraph', 'outcome'] as const,
      registers,
    }),
    subgraphRetries: new Counter({
      name: 'gateway_subgraph_retries_total',
      help: 'Retried subgraph HTTP requests (queries only)',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    deduplicated: new Counter({
      name: 'gateway_deduplicated_total',
      help: 'Requests answered by an identical one already in flight: inbound (client operations, target "gateway") or outbound (subgraph requests, target the subgraph)',
      labelNames: ['direction', 'target'] as const,
      registers,
    }),
    mergedFetches: new Counter({
      name: 'gateway_merged_fetches_total',
      help: 'Planner fetches sent inside one merged request with other fetches of the same operation to the same subgraph',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    responseCache: new Counter({
      name: 'gateway_response_cache_total',
      help: 'Response cache: lookups by outcome (hit, miss, stale, unavailable) and answers kept or not kept',
      labelNames: ['event'] as const,
      registers,
    }),
  };
}
