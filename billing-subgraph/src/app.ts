import type { Connection } from 'mongoose';
import {
  connectDatabase,
  createLogger,
  createMetrics,
  createPubSub,
  createTokenVerifier,
  databaseReachable,
  startSubgraphServer,
  syncIndexes,
  type Logger,
  type PubSub,
} from '@exchange/platform';
import type { BillingConfig } from './config';
import { registerModels, type BillingModels } from './store/models';
import { buildBillingSchema } from './graphql/schema';
import type { BillingContext } from './graphql/context';

export interface BillingApp {
  url: string;
  port: number;
  logger: Logger;
  conn: Connection;
  models: BillingModels;
  pubsub: PubSub;
  stop(): Promise<void>;
}

/** Wires the billing computer: its own database, pub/sub, token verification and the subgraph server. */
export async function createBillingApp(config: BillingConfig, opts: { logger?: Logger } = {}): Promise<BillingApp> {
  const logger = opts.logger ?? createLogger('billing', config.LOG_LEVEL);
  const conn = await connectDatabase(config.mongodbUri, config.BILLING_DB_NAME, logger);
  const models = registerModels(conn);
  await syncIndexes(conn);
  const pubsub = await createPubSub(config.REDIS_URL, config.PUBSUB_PREFIX, logger);
  const server = await startSubgraphServer<BillingContext>({
    service: 'billing',
    schema: buildBillingSchema(),
    host: config.BILLING_HOST,
    port: config.BILLING_PORT,
    logger,
    verifier: createTokenVerifier(config),
    metrics: createMetrics('billing'),
    introspection: config.INTROSPECTION,
    bodyLimit: config.INGEST_BODY_LIMIT,
    ready: () => databaseReachable(conn),
    buildContext: (base) => ({ ...base, models }),
  });
  return {
    url: server.url,
    port: server.port,
    logger,
    conn,
    models,
    pubsub,
    async stop() {
      await server.stop();
      await pubsub.close();
      await conn.close();
    },
  };
}
