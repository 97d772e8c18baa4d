import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { expressMiddleware } from '@as-integrations/express5';
import { createLogger, createMetrics, REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@exchange/platform';
import type { GatewayConfig } from './config';

export interface GatewayContext {
  authorization?: string;
  requestId: string;
}

export interface GatewayApp {
  url: string;
  port: number;
  logger: Logger;
  stop(): Promise<void>;
}

/** Forwards the caller's token and request id so each subgraph verifies and logs the same call. */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}

export async function createGatewayApp(config: GatewayConfig, opts: { logger?: Logger } = {}): Promise<GatewayApp> {
  const logger = opts.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const metrics = createMetrics('gateway');
  const urls: Record<string, string> = { moderator: config.MODERATOR_URL, billing: config.BILLING_URL };
  const gateway = new ApolloGateway({
    ...(config.INTROSPECT_AND_COMPOSE
      ? {
          supergraphSdl: new IntrospectAndCompose({
            subgraphs: Object.entries(urls).map(([name, url]) => ({ name, url })),
          }),
        }
      : { supergraphSdl: readFileSync(config.SUPERGRAPH_PATH, 'utf8') }),
    // The supergraph names the default local URLs; deployments point at their own subgraphs.
    buildService: ({ name, url }) => new ForwardingDataSource({ url: urls[name] ?? url }),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.INTROSPECTION,
    includeStacktraceInErrorResponses: false,
    // main.ts owns signal handling; Apollo's own handler would re-raise the signal after stopping.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.LANDING_PAGE ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await server.start();

  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/ready', async (_req, res) => {
    const checks = await Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        try {
          const r = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2000) });
          return [name, r.ok] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    const ok = checks.every(([, up]) => up);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks) });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.use(
    '/graphql',
    express.json({ limit: config.BODY_LIMIT }),
    expressMiddleware(server, {
      context: async ({ req }) => ({
        authorization: req.headers.authorization,
        requestId: requestIdFrom(req.headers[REQUEST_ID_HEADER]),
      }),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.GATEWAY_PORT, config.GATEWAY_HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.GATEWAY_HOST}:${port}/graphql`;
  logger.info({ url }, 'gateway listening');
  return {
    url,
    port,
    logger,
    async stop() {
      await server.stop();
    },
  };
}
