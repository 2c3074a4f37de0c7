// The four services as `npm start` and the platform tests run them: one place that knows
// their names, default ports, bundles and how they find each other.
import { join } from 'node:path';
import { secretNames } from './secrets.mjs';

/**
 * What the trading agent trades under `npm start` when AGENT_SYMBOLS is not set: several symbols of
 * the market's universe, not SPX alone. replay: SPX and five synthetic stocks; synthetic: six
 * synthetic stocks (SYN000.. as market-data names them). Other providers' symbols are the user's
 * (files, venues): the agent keeps its own default there, and AGENT_SYMBOLS names them.
 */
export function agentSymbols(env) {
  const provider = env.MARKET_PROVIDER ?? 'replay';
  if (provider !== 'replay' && provider !== 'synthetic') return undefined;
  const count = Math.min(provider === 'replay' ? 5 : 6, Number(env.SYNTHETIC_SYMBOLS ?? 100) || 0);
  const synthetic = Array.from({ length: count }, (_, i) => `SYN${String(i).padStart(3, '0')}`);
  const symbols = provider === 'replay' ? ['SPX', ...synthetic] : synthetic;
  return symbols.length ? symbols.join(',') : undefined;
}

/** The four services; `secrets` are the ones each reads: a service is given no other's credential. */
// `needs`: the services it calls from its first second, which npm start has ready before it starts
// this one (so it comes up without a burst of connection warnings).
export const services = [
  { name: 'api-gateway', port: 8080, needs: [], secrets: ['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'JWT_SECRET'] },
  { name: 'scanner', port: 8081, needs: ['api-gateway'], secrets: ['SCANNER_TOKEN', 'JWT_SECRET'] },
  { name: 'mcp-tools', port: 8000, needs: ['api-gateway'], secrets: ['MCP_TOOLS_TOKEN', 'MCP_AUTH_TOKEN'] },
  {
    name: 'trading-agent',
    port: 8082,
    needs: ['api-gateway', 'mcp-tools'],
    secrets: ['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'TRADING_AGENT_TOKEN', 'JWT_SECRET', 'MCP_AUTH_TOKEN'],
    defaults: (env) => {
      const symbols = agentSymbols(env);
      return symbols ? { AGENT_SYMBOLS: symbols } : {};
    },
  },
];

export const bundlePath = (root, name) => join(root, 'dist', 'apps', name, 'main.js');

/**
 * Environment for one service: its start defaults (the environment overrides them), the secrets it
 * reads (another service's, from the secrets or the environment alike, are left out), its port,
 * its data folder, the others' URLs.
 */
export function serviceEnv(service, { ports, secrets, dataDir, baseEnv }) {
  const url = (name) => `http://127.0.0.1:${ports[name]}`;
  const others = secretNames.filter((name) => !service.secrets.includes(name));
  const own = Object.fromEntries(
    Object.entries({ ...service.defaults?.(baseEnv), ...baseEnv, ...secrets }).filter(([name]) => !others.includes(name)),
  );
  return {
    ...own,
    PORT: String(ports[service.name]),
    HOST: baseEnv.HOST ?? '127.0.0.1',
    DATA_DIR: join(dataDir, service.name),
    GATEWAY_URL: url('api-gateway'),
    MCP_URL: `${url('mcp-tools')}/mcp`,
    // The gateway forwards the arena page's start and stop to the trading agent.
    TRADING_AGENT_URL: url('trading-agent'),
  };
}

/** How long npm start waits before the nth restart in a row of a service: 1 s, 2 s, 4 s … 30 s. */
export const restartDelayMs = (restart) => Math.min(1000 * 2 ** (restart - 1), 30_000);

/** A service that ran this long before it exited starts its backoff afresh. */
export const healthyRunMs = 60_000;
