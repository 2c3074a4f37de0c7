import { loadConfigOrExit } from '@tradeyard/service-kit';
import { createGateway } from './app';
import { gatewayConfigSchema } from './config';

const config = loadConfigOrExit(gatewayConfigSchema);
void createGateway(config).start();
