import { runService } from '@exchange/platform';
import { createModeratorApp } from './app';
import { loadModeratorConfig } from './config';
import { DEMO_BUYERS, DEMO_CARRIERS } from './services/parties';

/** `-s`: npm's own banner stays out of the output, so `$(npm run -s token …)` is the token alone. */
const TOKEN = 'npm run -s token --';

function demoHelp(): string {
  const lines = ['', 'Demo parties (SEED_DEMO_DATA=true). Act as one with a development token:'];
  for (const b of DEMO_BUYERS) {
    lines.push(`  ${b.name}${b.isReseller ? ' (reseller)' : ''}:  ${TOKEN} --role BUYER --sub ${b._id}`);
  }
  for (const c of DEMO_CARRIERS) {
    lines.push(`  ${c.name} (covers ${c.coverage.join(', ')}):  ${TOKEN} --role CARRIER --sub ${c._id}`);
  }
  lines.push(`  Operator:  ${TOKEN} --role ADMIN --sub admin`);
  lines.push(`  Billing agent:  ${TOKEN} --role BILLING_AGENT --sub agent`);
  lines.push(`  Partner:   ${TOKEN} --role PARTNER --sub partner-demo`);
  lines.push('Send it as "Authorization: Bearer <token>"; docs/EXAMPLES.md walks through the whole flow.', '');
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
