import { runService } from '@exchange/platform';
import { createBillingApp } from './app';
import { loadBillingConfig } from './config';

runService({ service: 'billing', portVariable: 'BILLING_PORT', loadConfig: loadBillingConfig, start: (config) => createBillingApp(config) });
