// The only way the portal talks to the exchange: the gateway's public GraphQL API at /graphql,
// queries and mutations over HTTP POST (JSON, which also satisfies the gateway's CSRF
// prevention) and subscriptions over graphql-ws on the same path.
import { createClient, type Client } from 'graphql-ws/client';

export interface ApiErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [k: string]: unknown };
}

/** A failed call: the API's first error (with its code and offending field) and all of them. */
export class ApiError extends Error {
  readonly code?: string;
  readonly field?: string;
  constructor(
    message: string,
    readonly errors: ApiErrorEntry[] = [],
    readonly status?: number,
  ) {
    super(message);
    this.code = errors[0]?.extensions?.code;
    this.field = errors[0]?.extensions?.field;
  }
}

let bearer: string | null = null;
let onUnauthenticated: () => void = () => undefined;

export function setToken(token: string | null, unauthenticated?: () => void): void {
  if (token !== bearer) resetSubscriptions();
  bearer = token;
  if (unauthenticated) onUnauthenticated = unauthenticated;
}

export const graphqlUrl = () => new URL('/graphql', location.href).href;

export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token = bearer): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The exchange cannot be reached. Check your connection and try again.');
  }
  let body: { data?: T; errors?: ApiErrorEntry[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The exchange answered ${res.status} without a GraphQL response.`, [], res.status);
  }
  if (body.errors?.length) {
    const err = new ApiError(body.errors[0].message, body.errors, res.status);
    if (err.code === 'UNAUTHENTICATED' && token === bearer) onUnauthenticated();
    throw err;
  }
  if (!body.data) throw new ApiError('The exchange returned no data.', [], res.status);
  return body.data;
}

// ------------------------------------------------------------------------------------------
// Subscriptions: one graphql-ws connection per signed-in token, opened when first needed.
// ------------------------------------------------------------------------------------------

export type LiveState = 'connecting' | 'live' | 'offline';
let client: Client | null = null;
let liveState: LiveState = 'offline';
const liveListeners = new Set<(s: LiveState) => void>();

function setLive(s: LiveState) {
  liveState = s;
  for (const l of liveListeners) l(s);
}

export function onLiveState(l: (s: LiveState) => void): () => void {
  liveListeners.add(l);
  l(liveState);
  return () => liveListeners.delete(l);
}

/**
 * Calls `cb` when the live connection is (re)established, to refetch what may have been missed
 * while it was down. With `includeFirst`, also on the first connection (or when already live).
 */
export function onConnected(cb: () => void, includeFirst = false): () => void {
  let first = true;
  return onLiveState((s) => {
    if (s !== 'live') return;
    if (!first || includeFirst) cb();
    first = false;
  });
}

function resetSubscriptions() {
  const c = client;
  client = null;
  setLive('offline');
  void c?.dispose();
}

function wsClient(): Client {
  if (client) return client;
  const token = bearer;
  const url = graphqlUrl().replace(/^http/, 'ws');
  const c = createClient({
    url,
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
    lazy: true,
    keepAlive: 15_000,
    retryAttempts: Infinity,
    // Retry after network trouble and restarts, but not when the token is refused or expired.
    shouldRetry: (e) => !(e && typeof e === 'object' && 'code' in e && (e as CloseEvent).code === 4401),
    retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 10_000) * (0.5 + Math.random() / 2))),
    on: {
      connecting: () => setLive('connecting'),
      connected: () => setLive('live'),
      closed: (e) => {
        if (client !== c) return;
        setLive('offline');
        if (e && typeof e === 'object' && 'code' in e && (e as CloseEvent).code === 4401) onUnauthenticated();
      },
    },
  });
  client = c;
  return c;
}

/**
 * Subscribes for as long as the returned function is not called. An operation the server ends
 * with an error (e.g. SUBGRAPH_UNAVAILABLE after a restart) is subscribed again after a pause;
 * `onError` hears about it (a message fit to show).
 */
export function subscribe<T = any>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError?: (message: string | null) => void,
): () => void {
  let stopped = false;
  let dispose: (() => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const start = () => {
    if (stopped) return;
    dispose = wsClient().subscribe<T>(
      { query, variables },
      {
        next: (v) => {
          failures = 0;
          if (v.errors?.length) onError?.(v.errors[0].message);
          else onError?.(null);
          if (v.data) onData(v.data as T);
        },
        error: (e) => {
          if (stopped) return;
          const msg = Array.isArray(e) ? (e[0]?.message ?? 'subscription failed') : e instanceof Error ? e.message : 'connection lost';
          onError?.(`Live updates interrupted (${msg}); reconnecting…`);
          failures += 1;
          retry = setTimeout(start, Math.min(1000 * 2 ** failures, 15_000));
        },
        complete: () => undefined,
      },
    );
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    dispose?.();
  };
}

/** The embedded default's demo sign-in (404 when the gateway has real keys). */
export async function demoToken(role: string, sub: string): Promise<string | null> {
  const res = await fetch('/portal/demo-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role, sub }),
  });
  if (res.status === 404) return null;
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new Error(body.error ?? `demo sign-in failed (${res.status})`);
  return body.token;
}
