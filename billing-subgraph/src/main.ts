import { exitOnConfigError } from '@exchange/platform';
import { createBillingApp } from './app';
import { loadBillingConfig } from './config';

async function main() {
  const config = exitOnConfigError(() => loadBillingConfig());
  const app = await createBillingApp(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
