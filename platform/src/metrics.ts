import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** For services' own metrics on their registry, without each depending on prom-client. */
export { Counter, Gauge, type Registry } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  graphqlErrors: Counter<'code'>;
}

/** One registry per service instance (several instances may share a test process). */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const graphqlErrors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors returned, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, graphqlErrors };
}

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event-loop and GC metrics belong to the process, and prom-client never releases
 * their monitors: collected per service instance they leaked ~30 MB per instance when several
 * instances share one process (tests). So they are collected once per process.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The Prometheus exposition text of a service: its own metrics, then the process's. */
export async function renderMetrics(registry: Registry): Promise<string> {
  const own = await registry.metrics();
  const proc = await processMetrics().metrics();
  return own.endsWith('\n') || own === '' ? own + proc : `${own}\n${proc}`;
}

/** Methods reported as themselves; any other is `other` (the label set stays fixed). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The `route` and `method` labels of a request from a fixed set: a path is reported as the known
 * route it belongs to (`/graphql`, `/portal`, …), anything else as `other`. Labelled by the raw
 * path, 14,200 distinct unauthenticated paths of 8 KB took a gateway to 2.47 GB and `/metrics`
 * failed: every label value is a time series that lives until the process ends.
 */
export function requestLabels(path: string, method: string | undefined, knownRoutes: readonly string[]): { route: string; method: string } {
  const m = (method ?? 'GET').toUpperCase();
  let route = 'other';
  for (const known of knownRoutes) {
    if (path === known || path.startsWith(known.endsWith('/') ? known : `${known}/`)) {
      route = known;
      break;
    }
  }
  return { route, method: KNOWN_METHODS.has(m) ? m : 'other' };
}
