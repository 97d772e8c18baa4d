// Small REAL subgraphs for testing the gateway's machinery independently of the moderator and
// billing subgraphs: Apollo subgraphs served by the platform's startSubgraphServer (HTTP +
// graphql-ws on /graphql), events through the platform's createPubSub (in-process or Redis),
// composed with @apollo/composition like the real supergraph.
//
// "orders" plays the moderator (owns Party and Order, authorizes Order per buyer);
// "ledger" plays billing (owns Invoice, references Party and Order, `invoiceIssued` per buyer).
import type { Server } from 'node:http';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import {
  createLogger,
  createMetrics,
  createPubSub,
  createTokenVerifier,
  forbidden,
  startSubgraphServer,
  unauthenticated,
  type AuthConfig,
  type BaseContext,
  type PubSub,
} from '@exchange/platform';
import { createGatewayApp, type GatewayApp } from '../../gateway/src/app';
import { loadGatewayConfig } from '../../gateway/src/config';

export const quiet = (service: string) => createLogger(service, process.env.TEST_LOG_LEVEL ?? 'silent');

export const ORDERS_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

"A party (buyer)."
type Party @key(fields: "id") {
  "Identifier."
  id: ID!
  "Display name."
  name: String!
}

"One hop of a route."
type RouteSegment @shareable {
  "Origin."
  origin: String!
  "Destination."
  destination: String!
}

"An order, visible to its buyer and to ADMIN only."
type Order @key(fields: "id") {
  "Identifier."
  id: ID!
  "Who placed it."
  buyer: Party!
  "Routes."
  routes: [RouteSegment!]!
  "Free text."
  note: String
}

"Queries."
type Query {
  "One order."
  order(id: ID!): Order
  "Orders of the caller."
  orders(first: Int): [Order!]!
  "One party."
  party(id: ID!): Party
  "Answers when the test releases it."
  slow: String
  "The caller's sub, as this subgraph verified it."
  whoami: String
}

"Mutations."
type Mutation {
  "Places an order for the caller."
  placeOrder(id: ID!, destination: String!): Order!
}

"Subscriptions."
type Subscription {
  "Orders placed by the subscriber (ADMIN: all)."
  orderPlaced: Order!
}
`;

export const LEDGER_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

"A party, owned by orders."
type Party @key(fields: "id", resolvable: false) {
  "Identifier."
  id: ID!
}

"An order, owned by orders."
type Order @key(fields: "id", resolvable: false) {
  "Identifier."
  id: ID!
}

"An amount."
type Money @shareable {
  "Decimal string."
  amount: String!
  "ISO code."
  currency: String!
}

"A bill."
type Invoice @key(fields: "id") {
  "Identifier."
  id: ID!
  "Total."
  total: Money!
  "Who pays."
  buyer: Party!
  "For which order (null when the caller may not see it)."
  order: Order
}

"An issued invoice."
type InvoiceEvent {
  "The invoice."
  invoice: Invoice!
}

"Queries."
type Query {
  "One invoice."
  invoice(id: ID!): Invoice
}

"Mutations."
type Mutation {
  "Issues an invoice (ADMIN)."
  issueInvoice(id: ID!, orderId: ID!, buyerId: ID!, amount: String!): Invoice!
  "Counts calls; for retry tests."
  touch: Int!
}

"Subscriptions."
type Subscription {
  "Invoices issued to the subscriber (ADMIN: all)."
  invoiceIssued: InvoiceEvent!
}
`;

/** Filters a pub/sub iterator without an async generator, so `return()` unsubscribes immediately. */
function filtered<T>(source: AsyncIterableIterator<T>, keep: (t: T) => boolean, onEnd: () => void): AsyncIterableIterator<T> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done) {
          end();
          return r;
        }
        if (keep(r.value)) return r;
      }
    },
    async return() {
      end();
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(e) {
      end();
      await source.return?.();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export interface TestSubgraph {
  name: string;
  url: string;
  port: number;
  httpServer: Server;
  pubsub: PubSub;
  /** Subscriptions currently open in this subgraph's resolvers. */
  activeSubscriptions(): number;
  /** WebSocket connections currently open to this subgraph. */
  openSockets(): number;
  stop(): Promise<void>;
}

export interface SubgraphOptions {
  port?: number;
  redisUrl?: string;
  prefix?: string;
  auth?: AuthConfig;
}

/** Shared by several instances of the same subgraph (as a database would be). */
export class OrdersState {
  parties = new Map<string, { id: string; name: string }>();
  orders = new Map<string, { id: string; buyerId: string; routes: { origin: string; destination: string }[]; note?: string }>();
  /** Every entity fetch: which typename, under whose identity. */
  entityCalls: { typename: string; id: string; sub: string | null }[] = [];
  released?: () => void;
  slowGate = new Promise<void>((r) => (this.released = r));
}

async function serve(
  name: string,
  typeDefs: string,
  resolvers: Record<string, unknown>,
  opts: SubgraphOptions,
  pubsub: PubSub,
  counters: { active: number },
): Promise<TestSubgraph> {
  const logger = quiet(name);
  const schema = buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers: resolvers as never }]);
  const server = await startSubgraphServer<BaseContext>({
    service: name,
    schema,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    logger,
    verifier: createTokenVerifier(opts.auth ?? {}),
    metrics: createMetrics(name),
    ready: async () => true,
    buildContext: (base) => base,
  });
  let sockets = 0;
  server.httpServer.on('upgrade', (_req, socket) => {
    sockets++;
    socket.once('close', () => sockets--);
  });
  return {
    name,
    url: server.url,
    port: server.port,
    httpServer: server.httpServer,
    pubsub,
    activeSubscriptions: () => counters.active,
    openSockets: () => sockets,
    async stop() {
      await server.stop();
      await pubsub.close();
    },
  };
}

const requireIdentity = (ctx: BaseContext) => {
  if (!ctx.identity) throw unauthenticated('A token is required');
  return ctx.identity;
};

export async function startOrders(state: OrdersState, opts: SubgraphOptions = {}): Promise<TestSubgraph> {
  const pubsub = await createPubSub(opts.redisUrl, opts.prefix ?? 'gwtest:', quiet('orders'));
  const counters = { active: 0 };
  const visible = (ctx: BaseContext, order: { buyerId: string }) => {
    const id = requireIdentity(ctx);
    if (id.role !== 'ADMIN' && id.sub !== order.buyerId) throw forbidden('Not your order');
  };
  const resolvers = {
    Query: {
      order: (_: unknown, { id }: { id: string }, ctx: BaseContext) => {
        const o = state.orders.get(id);
        if (!o) return null;
        visible(ctx, o);
        return o;
      },
      orders: (_: unknown, { first }: { first?: number }, ctx: BaseContext) => {
        const id = requireIdentity(ctx);
        return [...state.orders.values()].filter((o) => id.role === 'ADMIN' || o.buyerId === id.sub).slice(0, first ?? undefined);
      },
      party: (_: unknown, { id }: { id: string }) => state.parties.get(id) ?? null,
      slow: async () => {
        await state.slowGate;
        return 'finally';
      },
      whoami: (_: unknown, __: unknown, ctx: BaseContext) => ctx.identity?.sub ?? null,
    },
    Mutation: {
      placeOrder: async (_: unknown, { id, destination }: { id: string; destination: string }, ctx: BaseContext) => {
        const who = requireIdentity(ctx);
        const order = { id, buyerId: who.sub, routes: [{ origin: 'DE', destination }] };
        state.orders.set(id, order);
        await pubsub.publish('order', order);
        return order;
      },
    },
    Subscription: {
      orderPlaced: {
        subscribe: (_: unknown, __: unknown, ctx: BaseContext) => {
          const id = requireIdentity(ctx);
          counters.active++;
          return filtered(
            pubsub.subscribe<{ buyerId: string }>('order'),
            (o) => id.role === 'ADMIN' || o.buyerId === id.sub,
            () => counters.active--,
          );
        },
        resolve: (o: unknown) => o,
      },
    },
    Order: {
      __resolveReference: (ref: { id: string }, ctx: BaseContext) => {
        state.entityCalls.push({ typename: 'Order', id: ref.id, sub: ctx.identity?.sub ?? null });
        const o = state.orders.get(ref.id);
        if (!o) return null;
        visible(ctx, o);
        return o;
      },
      buyer: (o: { buyerId: string }) => state.parties.get(o.buyerId) ?? { id: o.buyerId, name: '?' },
    },
    Party: {
      __resolveReference: (ref: { id: string }, ctx: BaseContext) => {
        state.entityCalls.push({ typename: 'Party', id: ref.id, sub: ctx.identity?.sub ?? null });
        return state.parties.get(ref.id) ?? null;
      },
    },
  };
  return serve('orders', ORDERS_SDL, resolvers, opts, pubsub, counters);
}

export class LedgerState {
  invoices = new Map<string, { id: string; orderId: string; buyerId: string; total: { amount: string; currency: string } }>();
  touches = 0;
}

export async function startLedger(state: LedgerState, opts: SubgraphOptions = {}): Promise<TestSubgraph & { issue(inv: { id: string; orderId: string; buyerId: string; amount: string }): Promise<void> }> {
  const pubsub = await createPubSub(opts.redisUrl, opts.prefix ?? 'gwtest:', quiet('ledger'));
  const counters = { active: 0 };
  const issue = async (inv: { id: string; orderId: string; buyerId: string; amount: string }) => {
    const invoice = { id: inv.id, orderId: inv.orderId, buyerId: inv.buyerId, total: { amount: inv.amount, currency: 'EUR' } };
    state.invoices.set(inv.id, invoice);
    await pubsub.publish('invoice', invoice);
    return invoice;
  };
  const resolvers = {
    Query: {
      invoice: (_: unknown, { id }: { id: string }, ctx: BaseContext) => {
        const who = requireIdentity(ctx);
        const inv = state.invoices.get(id);
        if (inv && who.role !== 'ADMIN' && inv.buyerId !== who.sub) throw forbidden('Not your invoice');
        return inv ?? null;
      },
    },
    Mutation: {
      issueInvoice: async (_: unknown, args: { id: string; orderId: string; buyerId: string; amount: string }, ctx: BaseContext) => {
        if (requireIdentity(ctx).role !== 'ADMIN') throw forbidden('ADMIN only');
        return issue(args);
      },
      touch: () => ++state.touches,
    },
    Subscription: {
      invoiceIssued: {
        subscribe: (_: unknown, __: unknown, ctx: BaseContext) => {
          const who = requireIdentity(ctx);
          counters.active++;
          return filtered(
            pubsub.subscribe<{ buyerId: string }>('invoice'),
            (inv) => who.role === 'ADMIN' || inv.buyerId === who.sub,
            () => counters.active--,
          );
        },
        resolve: (invoice: unknown) => ({ invoice }),
      },
    },
    Invoice: {
      __resolveReference: (ref: { id: string }) => state.invoices.get(ref.id) ?? null,
      buyer: (inv: { buyerId: string }) => ({ __typename: 'Party', id: inv.buyerId }),
      order: (inv: { orderId: string }) => ({ __typename: 'Order', id: inv.orderId }),
    },
  };
  const sg = await serve('ledger', LEDGER_SDL, resolvers, opts, pubsub, counters);
  return Object.assign(sg, {
    async issue(inv: { id: string; orderId: string; buyerId: string; amount: string }) {
      await issue(inv);
    },
  });
}

/** Composes the test supergraph, as `npm run compose` does for the real one. */
export function composeTestSupergraph(urls: { orders: string; ledger: string }): string {
  const result = composeServices([
    { name: 'orders', typeDefs: parse(ORDERS_SDL), url: urls.orders },
    { name: 'ledger', typeDefs: parse(LEDGER_SDL), url: urls.ledger },
  ]);
  if (result.errors?.length) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl!;
}

/** A gateway serving the test supergraph; `subgraphUrls` overrides where each subgraph is. */
export async function startTestGateway(
  supergraphSdl: string,
  env: Record<string, string | undefined> = {},
  subgraphUrls?: Record<string, string>,
): Promise<GatewayApp> {
  const config = loadGatewayConfig({ GATEWAY_PORT: '0', ...env });
  return createGatewayApp(config, { logger: quiet('gateway'), supergraphSdl, subgraphUrls });
}

/** Tests that import their fixtures from here wait with the shared helper. */
export { until } from './wait';

