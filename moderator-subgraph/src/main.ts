import { runService } from '@exchange/platform';
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

runService({
  service: 'moderator',
  portVariable: 'MODERATOR_PORT',
  loadConfig: loadModeratorConfig,
  start: (config) => createModeratorApp(config),
  started(app, config) {
    if (!config.SEED_DEMO_DATA) return;
    if (app.seeded) app.logger.info('seeded demo buyers and carriers');
    console.log(demoHelp());
  },
});
