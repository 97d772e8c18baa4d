import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  connectDatabase,
  createLogger,
  createMetrics,
  createPubSub,
  dataVersionTrackerFor,
  createTokenSigner,
  createTokenVerifier,
  databaseReachable,
  PeriodicJob,
  queryLimitsOf,
  startSubgraphServer,
  startupFailureLine,
  StartupError,
  syncIndexes,
  type Logger,
  type PubSub,
} from '@exchange/platform';
import type { ModeratorConfig } from './config';
import { registerModels, type ModeratorModels } from './store/models';
import { buildModeratorSchema } from './graphql/schema';
import type { ModeratorContext } from './graphql/context';
import { createLoaders } from './graphql/loaders';
import { AuctionService } from './services/market';
import { MarketService } from './services/market';
import { createDeliveryWatchMetrics, DeliveryWatch, OutboxWorker } from './services/events';
import { PartyService, seedDemoParties } from './services/parties';
import { Dealings } from './services/market';
import { RelayService } from './services/events';
import { RoutingService } from './services/routing';
import { TrunkService } from './services/routing';
import { SwitchKeyService } from './services/routing';
import { RouteAttemptsService } from './services/routing';
import { startRouteServer, type RouteServer } from './http/route-server';
import { createScheduler } from './services/market';
import type { ModeratorServices } from './services';

export interface ModeratorApp {
  url: string;
  port: number;
  logger: Logger;
  conn: Connection;
  models: ModeratorModels;
  pubsub: PubSub;
  /** Unique per process start; recorded as `closedBy` and as the outbox lease owner. */
  instanceId: string;
  services: ModeratorServices;
  scheduler: PeriodicJob | null;
  outbox: OutboxWorker | null;
  /** The switch-facing route server (docs/ROUTE-SERVER.md); `url` is its base URL, e.g. http://127.0.0.1:4003. */
  routeServer: { url: string; port: number };
  /** Whether this start seeded the demo parties. */
  seeded: boolean;
  stop(): Promise<void>;
}

/** Wires the moderator: its own database, pub/sub, token verification, workers and the subgraph server. */
export async function createModeratorApp(config: ModeratorConfig, opts: { logger?: Logger } = {}): Promise<ModeratorApp> {
  const logger = opts.logger ?? createLogger('moderator', config.LOG_LEVEL);
  const instanceId = `moderator-${randomBytes(6).toString('hex')}`;
  // Before anything writes (migrations, seeding): gateways may hold answers from before this start.
  const dataVersions = dataVersionTrackerFor(config, logger);
  const conn = await connectDatabase(config.mongodbUri, config.MODERATOR_DB_NAME, logger, { monitorCommands: !!dataVersions });
  dataVersions?.track(conn);
  await dataVersions?.start();
  const models = registerModels(conn);
  await syncIndexes(conn);
  const seeded = config.SEED_DEMO_DATA ? await seedDemoParties(models) : false;
  const pubsub = await createPubSub(config.REDIS_URL, config.PUBSUB_PREFIX, logger);

  const routing = new RoutingService(models, pubsub, logger);
  const trunks = new TrunkService(models, pubsub, logger);
  const switchKeys = new SwitchKeyService(models, pubsub, logger);
  // Everything the route server reads is in memory before it listens.
  await Promise.all([routing.start(), trunks.start(), switchKeys.start()]);

  const sign = config.OUTBOX_ENABLED
    ? await createTokenSigner({
        JWT_SECRET: config.JWT_SECRET,
        signingKeyFile: config.MODERATOR_SIGNING_KEY_FILE,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      })
    : null;
  // Attempts are always counted and stored; they reach billing where selections do (OUTBOX_ENABLED).
  const routeAttempts = new RouteAttemptsService(models, logger, {
    billingUrl: sign ? config.BILLING_URL : null,
    timeoutMs: config.BILLING_TIMEOUT_MS,
    backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
    backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
    token: () => (sign ? sign('moderator', 'MODERATOR', '5m') : Promise.reject(new Error('no token signer'))),
  });

  let outbox: OutboxWorker | null = null;
  if (sign) {
    outbox = new OutboxWorker(models, logger, {
      instanceId,
      billingUrl: config.BILLING_URL,
      intervalMs: config.OUTBOX_INTERVAL_MS,
      batchSize: config.OUTBOX_BATCH_SIZE,
      backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
      backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
      leaseMs: config.OUTBOX_LEASE_MS,
      timeoutMs: config.BILLING_TIMEOUT_MS,
      token: () => sign('moderator', 'MODERATOR', '5m'),
    });
  }

  const metrics = createMetrics('moderator');
  const deliveryWatch = new DeliveryWatch(models, logger, createDeliveryWatchMetrics(metrics.registry), { overdueMs: config.OUTBOX_OVERDUE_MS });

  const auction = new AuctionService(models, pubsub, logger, {
    instanceId,
    closeLeaseMs: config.CLOSE_LEASE_MS,
    hooks: {
      onSelection: async (sel) => {
        outbox?.kick();
        await routing.onSelection(sel);
      },
    },
  });
  const services: ModeratorServices = {
    models,
    pubsub,
    logger,
    parties: new PartyService(models),
    dealings: new Dealings(models),
    auction,
    routing,
    trunks,
    switchKeys,
    routeAttempts,
    relays: new RelayService(models, pubsub, logger),
    market: new MarketService(models),
    pseudonymSecret: config.BOARD_PSEUDONYM_SECRET,
  };

  const server = await startSubgraphServer<ModeratorContext>({
    service: 'moderator',
    schema: buildModeratorSchema(),
    host: config.MODERATOR_HOST,
    port: config.MODERATOR_PORT,
    logger,
    verifier: createTokenVerifier(config),
    metrics,
    introspection: config.INTROSPECTION,
    limits: queryLimitsOf(config),
    metricsPublic: config.METRICS_PUBLIC,
    ready: () => databaseReachable(conn),
    dataVersions,
    buildContext: (base) => ({ ...base, models, services, loaders: createLoaders(models, services.dealings, base.identity) }),
  });

  const routeServer: RouteServer = await startRouteServer(
    { routing, trunks, keys: switchKeys, attempts: routeAttempts, logger, registry: metrics.registry },
    { host: config.ROUTE_SERVER_HOST, port: config.ROUTE_SERVER_PORT },
  ).catch(async (err) => {
    await server.stop();
    await dataVersions?.close();
    // A taken port names its own variable (main.ts would otherwise blame MODERATOR_PORT).
    const line = startupFailureLine('route server', err, 'ROUTE_SERVER_PORT');
    throw line ? new StartupError(line.replace(/^route server: /, 'route server ')) : err;
  });
  const attemptsTicker = new PeriodicJob('route attempts', config.ROUTE_ATTEMPTS_FLUSH_MS, () => routeAttempts.runOnce(), logger);
  attemptsTicker.start(config.ROUTE_ATTEMPTS_FLUSH_MS);

  // The periodic rebuild also re-reads trunks and keys (repairs anything a lost event missed).
  const routingReload = new PeriodicJob(
    'routing reload',
    config.ROUTING_RELOAD_MS,
    async () => {
      await routing.reload();
      await trunks.reload();
      await switchKeys.reload();
    },
    logger,
  );
  // The index was just loaded; the first periodic rebuild comes one interval from now.
  routingReload.start(config.ROUTING_RELOAD_MS);

  const scheduler = config.SCHEDULER_ENABLED ? createScheduler(models, auction, logger, config.SCHEDULER_INTERVAL_MS) : null;
  scheduler?.start(0);
  outbox?.start();
  deliveryWatch.start();

  return {
    url: server.url,
    port: server.port,
    logger,
    conn,
    models,
    pubsub,
    instanceId,
    services,
    scheduler,
    outbox,
    routeServer: { url: routeServer.url, port: routeServer.port },
    seeded,
    async stop() {
      await routeServer.stop();
      await attemptsTicker.stop();
      // What was counted since the last flush is stored before the connection closes.
      await routeAttempts.flush().catch((err) => logger.warn({ err: (err as Error).message }, 'final route attempts flush failed'));
      await routingReload.stop();
      await scheduler?.stop();
      await outbox?.stop();
      await deliveryWatch.stop();
      await server.stop();
      await routing.stop();
      await trunks.stop();
      await switchKeys.stop();
      await pubsub.close();
      await dataVersions?.close();
      await conn.close();
    },
  };
}
