import { runService } from '@exchange/platform';
import { createGatewayApp } from './app';
import { loadGatewayConfig } from './config';

runService({ service: 'gateway', portVariable: 'GATEWAY_PORT', loadConfig: loadGatewayConfig, start: (config) => createGatewayApp(config) });
