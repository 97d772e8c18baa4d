import { z } from 'zod';
import { authEnv, bool, httpUrl, logLevel, loadConfig, mongoUri, port } from '@exchange/platform';

const schema = z.object({
  MODERATOR_HOST: z.string().default('127.0.0.1'),
  MODERATOR_PORT: port(4001),
  MONGODB_URI: mongoUri.default('mongodb://127.0.0.1:27017'),
  MODERATOR_MONGODB_URI: mongoUri.optional(),
  MODERATOR_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('exchange_moderator'),
  BILLING_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  PUBSUB_PREFIX: z.string().default('exchange:'),
  MODERATOR_SIGNING_KEY_FILE: z.string().optional(),
  BOARD_PSEUDONYM_SECRET: z.string().min(16).default('development-pseudonym-secret'),
  SEED_DEMO_DATA: bool(false),
  INTROSPECTION: bool(true),
  LOG_LEVEL: logLevel,
  ...authEnv,
});

export type ModeratorConfig = z.infer<typeof schema> & { mongodbUri: string };

export function loadModeratorConfig(env: NodeJS.ProcessEnv = process.env): ModeratorConfig {
  const c = loadConfig(schema, env);
  return { ...c, mongodbUri: c.MODERATOR_MONGODB_URI ?? c.MONGODB_URI };
}
