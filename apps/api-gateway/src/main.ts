import { createGateway } from '@tradeyard/gateway-server';
import { exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { gatewayConfigSchema } from './config';

exitOnUnhandledErrors('api-gateway');

const config = loadConfigOrExit(gatewayConfigSchema);
createGateway(config).then(
  (gateway) => gateway.start(),
  (err) => {
    process.stderr.write(`api-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
