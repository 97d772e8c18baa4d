import { announceListening, exitOnConfigError, exitOnStartupFailure } from '@exchange/platform';
import { createGatewayApp } from './app';
import { loadGatewayConfig } from './config';

async function main() {
  const config = exitOnConfigError(() => loadGatewayConfig());
  const app = await createGatewayApp(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    try {
      await app.stop();
    } catch (err) {
      // Stopping is best effort; an operator pressing Ctrl-C wants it stopped, not a stack trace.
      app.logger.warn({ err: (err as Error).message }, 'incomplete shutdown');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Bound and serving: `npm start` waits for this before it says the exchange is up.
  announceListening('gateway', app.url, app.port);
}

main().catch(exitOnStartupFailure('gateway', 'GATEWAY_PORT'));
