// `node demo-market/dist/main.js`: the demo market as its own process (tools/start.js starts it
// once the gateway is up, with GATEWAY_URL). Exits 2 when asked to run in production.
import { ConfigError, createLogger } from '@exchange/platform';
import { demoMarketDecision } from './config';
import { startDemoMarket } from './run';

async function main() {
  const logger = createLogger('demo-market');
  let run;
  try {
    run = await startDemoMarket(process.env, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  if (!run) process.exit(demoMarketDecision(process.env).refused ? 2 : 0);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await run.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(`demo market failed: ${(err as Error).message}`);
  process.exit(1);
});
