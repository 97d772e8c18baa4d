import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gql, gqlOk, token } from '../../support/harness';
import { until } from '../../support/wait';

export const DAY = 24 * 3600 * 1000;

export const REGISTER_BUYER = `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id name isReseller endUsers { id name } } }`;
export const REGISTER_CARRIER = `mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) { id name coverage } }`;
export const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) { id status routes { origin destination network } quantity unit distributionCount interval { start end } biddingClosesAt }
}`;
export const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id status submittedAt incentive { currency ratePerUnit } } }`;
export const CLOSE = `mutation($id: ID!) { closeBidding(requestId: $id) { id status selection { id carrier { id } bid { id } selectedAt } } }`;

export interface Party {
  id: string;
  token: string;
}

/** Registers buyers and carriers through the API (as an operator would) and returns their tokens. */
export async function registerParties(
  url: string,
  spec: { buyers?: { id: string; name?: string; isReseller?: boolean; endUsers?: { id: string; name: string }[] }[]; carriers?: { id: string; name?: string; coverage: string[] }[] },
) {
  const admin = await token('ADMIN', 'admin-test');
  const buyers: Record<string, Party> = {};
  const carriers: Record<string, Party> = {};
  for (const b of spec.buyers ?? []) {
    await gqlOk(url, REGISTER_BUYER, { input: { name: b.name ?? `Buyer ${b.id}`, ...b } }, admin);
    buyers[b.id] = { id: b.id, token: await token('BUYER', b.id) };
  }
  for (const c of spec.carriers ?? []) {
    await gqlOk(url, REGISTER_CARRIER, { input: { name: c.name ?? `Carrier ${c.id}`, ...c } }, admin);
    carriers[c.id] = { id: c.id, token: await token('CARRIER', c.id) };
  }
  return { admin, buyers, carriers };
}

export function requestInput(overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    routes: [{ origin: '1', destination: '4420' }],
    serviceType: 'VOICE',
    quantity: '10000',
    unit: 'MINUTE',
    interval: { start: new Date(now + 2 * DAY).toISOString(), end: new Date(now + 32 * DAY).toISOString() },
    biddingClosesAt: new Date(now + DAY).toISOString(),
    ...overrides,
  };
}

export async function createRequest(url: string, buyerToken: string, overrides: Record<string, unknown> = {}) {
  const d = await gqlOk(url, CREATE_REQUEST, { input: requestInput(overrides) }, buyerToken);
  return d.createServiceRequest as { id: string; status: string; distributionCount: number; interval: { start: string; end: string } };
}

export async function bid(url: string, carrierToken: string, requestId: string, ratePerUnit: string, extra: Record<string, unknown> = {}) {
  const d = await gqlOk(url, SUBMIT_BID, { input: { requestId, incentive: { currency: 'GBP', ratePerUnit }, ...extra } }, carrierToken);
  return d.submitBid as { id: string; status: string };
}

export async function rawBid(url: string, carrierToken: string, requestId: string, ratePerUnit: string) {
  return gql(url, SUBMIT_BID, { input: { requestId, incentive: { currency: 'GBP', ratePerUnit } } }, carrierToken);
}

/** A graphql-ws client authenticated as `bearer`, and a collector for one subscription. */
export function wsClient(httpUrl: string, bearer: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${bearer}` },
    retryAttempts: 0,
    lazy: true,
  });
}

export interface Collected<T> {
  events: T[];
  errors: unknown[];
  /** Resolves once `n` events arrived (rejects after timeoutMs so a test never hangs). */
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves when the server ends the subscription (complete or error). */
  ended: Promise<void>;
  dispose(): void;
}

export function collect<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: { n: number; resolve: (v: T[]) => void }[] = [];
  let end: () => void = () => undefined;
  const ended = new Promise<void>((r) => (end = r));
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        if (v.data) events.push(v.data as T);
        for (const w of [...waiters]) if (events.length >= w.n) (waiters.splice(waiters.indexOf(w), 1), w.resolve(events));
      },
      error: (e) => {
        errors.push(e);
        for (const w of waiters.splice(0)) w.resolve(events);
        end();
      },
      complete: () => end(),
    },
  );
  return {
    events,
    errors,
    ended,
    dispose,
    waitFor(n, timeoutMs = 10_000) {
      if (events.length >= n) return Promise.resolve(events);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} events; got ${events.length}: ${JSON.stringify(errors)}`)), timeoutMs);
        waiters.push({ n, resolve: (v) => (clearTimeout(t), resolve(v)) });
      });
    },
  };
}

export { until };

