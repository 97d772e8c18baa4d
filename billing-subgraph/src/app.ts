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
  syncIndexes,
  type Logger,
  type PubSub,
} from '@exchange/platform';
import type { BillingConfig } from './config';
import { registerModels, type BillingModels } from './store/models';
import { BILLING_MIGRATIONS, runMigrations } from './store/migrations';
import { buildBillingSchema } from './graphql/schema';
import { createLoaders, type BillingContext } from './graphql/context';
import { batchSizeGuard } from './graphql/limits';
import type { Deps } from './services/deps';
import { runDeliveries } from './services/bill-run';
import { runFeedPolls } from './services/usage';
import { recoverUnratedUsage } from './services/usage';
import { repairUnnumberedBills } from './services/bill-run';
import { sweepUnassociatedUsage } from './services/usage';
import { billSiteRoutes } from './http/site';
import { sweepExpiredClaims } from './store/sweep';

export interface BillingApp {
  url: string;
  port: number;
  logger: Logger;
  conn: Connection;
  models: BillingModels;
  pubsub: PubSub;
  deps: Deps;
  /** Runs one pass of the delivery worker and the feed poller now (also used by tests). */
  runWorkersOnce(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires the billing computer: its own database, pub/sub, token verification, workers and the subgraph server. */
export async function createBillingApp(config: BillingConfig, opts: { logger?: Logger } = {}): Promise<BillingApp> {
  const logger = opts.logger ?? createLogger('billing', config.LOG_LEVEL);
  // Before anything writes (migrations, seeding): gateways may hold answers from before this start.
  const dataVersions = dataVersionTrackerFor(config, logger);
  const conn = await connectDatabase(config.mongodbUri, config.BILLING_DB_NAME, logger, { monitorCommands: !!dataVersions });
  dataVersions?.track(conn);
  await dataVersions?.start();
  const models = registerModels(conn);
  // Stored forms brought forward before anything reads them (once per database, recorded).
  try {
    await runMigrations(conn, BILLING_MIGRATIONS, { log: (msg) => logger.info(msg) });
  } catch (err) {
    await dataVersions?.close();
    await conn.close();
    throw err;
  }
  await syncIndexes(conn);
  const pubsub = await createPubSub(config.REDIS_URL, config.PUBSUB_PREFIX, logger);
  const sign = await createTokenSigner({ JWT_SECRET: config.JWT_SECRET, signingKeyFile: config.BILLING_SIGNING_KEY_FILE, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const verifier = createTokenVerifier(config);

  let base = config.BILLING_PUBLIC_URL?.replace(/\/+$/, '') ?? '';
  // eslint-disable-next-line prefer-const
  let deliveries: PeriodicJob;
  const deps: Deps = {
    models,
    pubsub,
    logger,
    config,
    publicBase: () => base,
    kickDeliveries: () => {
      if (config.WORKERS) deliveries?.kick();
    },
    signToken: (sub, role, expiresIn) => sign(sub, role, expiresIn),
  };
  deliveries = new PeriodicJob('deliveries', config.WORKER_INTERVAL_MS, async () => {
    await runDeliveries(deps);
    await recoverUnratedUsage(deps);
  }, logger);
  const feeds = new PeriodicJob('usage-feeds', config.WORKER_INTERVAL_MS, () => runFeedPolls(deps), logger);
  const usageSweep = new PeriodicJob('usage-sweep', config.USAGE_SWEEP_INTERVAL_MS, () => sweepUnassociatedUsage(deps), logger);
  // Expired once-only claims (delivery attempts, feed polls): the stand-in for a TTL index.
  const sweep = new PeriodicJob('claim-sweep', Math.max(config.WORKER_INTERVAL_MS, 60_000), () => sweepExpiredClaims(models), logger);

  const schema = buildBillingSchema();
  const server = await startSubgraphServer<BillingContext>({
    service: 'billing',
    schema,
    host: config.BILLING_HOST,
    port: config.BILLING_PORT,
    logger,
    verifier,
    metrics: createMetrics('billing'),
    introspection: config.INTROSPECTION,
    limits: queryLimitsOf(config),
    metricsPublic: config.METRICS_PUBLIC,
    bodyLimit: config.INGEST_BODY_LIMIT,
    ready: () => databaseReachable(conn),
    dataVersions,
    buildContext: (ctxBase) => ({ ...ctxBase, models, deps, loaders: createLoaders(models) }),
    routes: billSiteRoutes(deps, verifier),
    plugins: [batchSizeGuard<BillingContext>()],
  });
  if (!base) base = new URL(server.url).origin;
  // Issued bills left without a number (a crash between the flip and the number): completed now,
  // and once more when bills issued just before the start are clearly abandoned.
  const repair = () => repairUnnumberedBills(deps).catch((err) => logger.error({ err }, 'repairing unnumbered bills failed'));
  await repair();
  const repairAgain = setTimeout(repair, config.BILL_ISSUE_RECOVERY_AFTER_MS);
  repairAgain.unref();
  if (config.WORKERS) {
    deliveries.start();
    feeds.start();
    usageSweep.start();
    sweep.start();
  }
  return {
    url: server.url,
    port: server.port,
    logger,
    conn,
    models,
    pubsub,
    deps,
    async runWorkersOnce() {
      await deliveries.run();
      await feeds.run();
      await sweep.run();
    },
    async stop() {
      clearTimeout(repairAgain);
      await deliveries.stop();
      await feeds.stop();
      await usageSweep.stop();
      await sweep.stop();
      await server.stop();
      await pubsub.close();
      await dataVersions?.close();
      await conn.close();
    },
  };
}
