// graphql-ws clients for tests, as a portal would use them: one connection, token in connectionParams.
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

export interface TestWsClient extends Client {
  /** Close events the client saw (code, reason). */
  closes: { code: number; reason: string }[];
}

export function wsClient(gatewayHttpUrl: string, bearer?: string, extraParams: Record<string, unknown> = {}): TestWsClient {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl(gatewayHttpUrl),
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...extraParams },
    on: {
      closed: (e) => {
        const ev = e as { code: number; reason: string | Buffer };
        closes.push({ code: ev.code, reason: String(ev.reason) });
      },
    },
  });
  return Object.assign(client, { closes });
}

type End = { kind: 'complete' } | { kind: 'error'; error: unknown };

export interface TestSubscription {
  events: ExecutionResult[];
  /** The next event not yet taken (waits for it). */
  next(): Promise<ExecutionResult>;
  /** Resolves when the server completes or errors the subscription. */
  ended: Promise<End>;
  unsubscribe(): void;
}

export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>): TestSubscription {
  const events: ExecutionResult[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  let endResolve!: (e: End) => void;
  const ended = new Promise<End>((r) => (endResolve = r));
  let finished: End | undefined;
  const wake = () => waiters.splice(0).forEach((w) => w());
  const unsubscribe = client.subscribe(
    { query, variables, ...(extensions ? { extensions } : {}) },
    {
      next: (v) => {
        events.push(v as ExecutionResult);
        wake();
      },
      error: (error) => {
        finished = { kind: 'error', error };
        endResolve(finished);
        wake();
      },
      complete: () => {
        finished = { kind: 'complete' };
        endResolve(finished);
        wake();
      },
    },
  );
  return {
    events,
    ended,
    unsubscribe,
    async next() {
      while (taken >= events.length) {
        if (finished) throw new Error(`subscription ended (${JSON.stringify(finished)}) before another event`);
        await new Promise<void>((r) => waiters.push(r));
      }
      return events[taken++];
    },
  };
}
