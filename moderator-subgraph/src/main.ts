import { exitOnConfigError } from '@exchange/platform';
import { createModeratorApp } from './app';
import { loadModeratorConfig } from './config';
import { DEMO_BUYERS, DEMO_CARRIERS } from './services/parties';

function demoHelp(): string {
  const lines = ['', 'Demo parties (SEED_DEMO_DATA=true). Act as one with a development token:'];
  for (const b of DEMO_BUYERS) {
    lines.push(`  ${b.name}${b.isReseller ? ' (reseller)' : ''}:  npm run token -- --role BUYER --sub ${b._id}`);
  }
  for (const c of DEMO_CARRIERS) {
    lines.push(`  ${c.name} (covers ${c.coverage.join(', ')}):  npm run token -- --role CARRIER --sub ${c._id}`);
  }
  lines.push('  Operator:  npm run token -- --role ADMIN --sub admin');
  lines.push('  Partner:   npm run token -- --role PARTNER --sub partner-demo');
  lines.push('Send it as "Authorization: Bearer <token>".', '');
  return lines.join('\n');
}

async function main() {
  const config = exitOnConfigError(() => loadModeratorConfig());
  const app = await createModeratorApp(config);
  if (config.SEED_DEMO_DATA) {
    if (app.seeded) app.logger.info('seeded demo buyers and carriers');
    console.log(demoHelp());
  }
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
