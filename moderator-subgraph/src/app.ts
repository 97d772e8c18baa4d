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
import type { ModeratorConfig } from './config';
import { registerModels, type ModeratorModels } from './store/models';
import { buildModeratorSchema } from './graphql/schema';
import type { ModeratorContext } from './graphql/context';

export interface ModeratorApp {
  url: string;
  port: number;
  logger: Logger;
  conn: Connection;
  models: ModeratorModels;
  pubsub: PubSub;
  stop(): Promise<void>;
}

/** Wires the moderator: its own database, pub/sub, token verification and the subgraph server. */
export async function createModeratorApp(config: ModeratorConfig, opts: { logger?: Logger } = {}): Promise<ModeratorApp> {
  const logger = opts.logger ?? createLogger('moderator', config.LOG_LEVEL);
  const conn = await connectDatabase(config.mongodbUri, config.MODERATOR_DB_NAME, logger);
  const models = registerModels(conn);
  await syncIndexes(conn);
  const pubsub = await createPubSub(config.REDIS_URL, config.PUBSUB_PREFIX, logger);
  const server = await startSubgraphServer<ModeratorContext>({
    service: 'moderator',
    schema: buildModeratorSchema(),
    host: config.MODERATOR_HOST,
    port: config.MODERATOR_PORT,
    logger,
    verifier: createTokenVerifier(config),
    metrics: createMetrics('moderator'),
    introspection: config.INTROSPECTION,
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
