import path from 'node:path';
import { z } from 'zod';
import { authEnv, bool, httpUrl, logLevel, loadConfig, port } from '@exchange/platform';

const schema = z.object({
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port(4000),
  MODERATOR_URL: httpUrl.default('http://127.0.0.1:4001/graphql'),
  BILLING_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  SUPERGRAPH_PATH: z.string().default(path.resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql')),
  /** Development only: compose from the live subgraphs instead of the committed supergraph. */
  INTROSPECT_AND_COMPOSE: bool(false),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  PUBSUB_PREFIX: z.string().default('exchange:'),
  INTROSPECTION: bool(true),
  LANDING_PAGE: bool(true),
  BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'e.g. 1mb').default('32mb'),
  LOG_LEVEL: logLevel,
  ...authEnv,
});

export type GatewayConfig = z.infer<typeof schema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(schema, env);
}
