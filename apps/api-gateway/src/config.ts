// Every app names its environment in src/config.ts (tools/docs/env-reference.ts reads it there);
// the gateway's schema lives with the gateway in libs/gateway-server.
export { gatewayConfigSchema, type GatewayConfig } from '@tradeyard/gateway-server';
