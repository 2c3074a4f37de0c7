import { GatewayClient } from '@tradeyard/gateway-contract';
import { createGateway, gatewayConfigSchema, type Gateway } from '@tradeyard/gateway-server';
import { openDatabase } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';

export interface TestGatewayOptions {
  /** First day the replay shows as current (YYYY-MM-DD); default 2000-01-03, the first bundled day. */
  startDate?: string;
  /** Port to listen on (a test that starts a client before the gateway); default: a free one. */
  port?: number;
  /** Any other gateway variable (as in the environment), e.g. { MAX_ORDER_NOTIONAL: '1000' }. */
  env?: Record<string, string>;
}

/** The market clock a test moves: the replay stands still until the test advances it. */
export interface TestMarketClock {
  /** Releases the next `bars` daily bars (quotes, bars, fills of resting orders follow at once). */
  advance(bars?: number): Promise<void>;
}

export interface TestGateway {
  url: string;
  /** Each service's credential as the gateway is configured with it (SCANNER_TOKEN, MCP_TOOLS_TOKEN, TRADING_AGENT_TOKEN). */
  tokens: { scanner: string; mcpTools: string; tradingAgent: string };
  admin: { username: string; password: string };
  /** A client acting with mcp-tools' credential: it trades the paper account "agent". */
  client: GatewayClient;
  /** A client acting with the scanner's credential: it posts signals and registers lockstep consumers. */
  scanner: GatewayClient;
  clock: TestMarketClock;
  /** The running gateway, for looking behind the API (database, broker). */
  gateway: Gateway;
  /** How many requests the gateway answered on a route (its own request metric), e.g. ('GET', '/api/v1/quotes/:symbol'). */
  requestCount(method: string, route: string): Promise<number>;
  /** Clients logged in as the admin and as a viewer user "watcher" (created on the first call). */
  signedIn(): Promise<{ admin: GatewayClient; viewer: GatewayClient }>;
  /** A new trader user of this name (its own paper account), logged in. */
  trader(username: string): Promise<GatewayClient>;
  /** Idempotency keys of the orders of an account, oldest first. */
  idempotencyKeys(accountId?: string): Promise<(string | null)[]>;
  close(): Promise<void>;
}

/** The secrets every test gateway runs with (each service's credential apart), for a test or bench that starts one otherwise. */
export const testGatewaySecrets = {
  ADMIN_USERNAME: 'admin',
  ADMIN_PASSWORD: 'admin-password-1',
  SCANNER_TOKEN: 'scanner-token-0123456789',
  MCP_TOOLS_TOKEN: 'mcp-tools-token-0123456789',
  TRADING_AGENT_TOKEN: 'trading-agent-token-0123456789',
  JWT_SECRET: 'jwt-secret-0123456789abcdef',
};
/** One bar per second of the test clock, so advancing by n bars moves it by n seconds. */
const BARS_PER_SECOND = 1;

/**
 * Starts the real gateway (createGateway, every route) in-process on an in-memory PGlite database
 * on a free loopback port, with a market clock that only the test moves.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = parseConfig(gatewayConfigSchema, {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REPLAY_BARS_PER_SECOND: String(BARS_PER_SECOND),
    ...(options.startDate && { REPLAY_START_DATE: options.startDate }),
    ...testGatewaySecrets,
    ...options.env,
  });
  let now = Date.now();
  const gateway = await createGateway({ ...config, PORT: options.port ?? 0 }, { database: await openDatabase({}), now: () => now });
  const url = await gateway.start();
  const anonymous = new GatewayClient({ baseUrl: url });
  let viewerCreated: Promise<unknown> | undefined;
  return {
    url,
    tokens: { scanner: config.SCANNER_TOKEN, mcpTools: config.MCP_TOOLS_TOKEN, tradingAgent: config.TRADING_AGENT_TOKEN },
    admin: { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
    client: anonymous.withToken(config.MCP_TOOLS_TOKEN),
    scanner: anonymous.withToken(config.SCANNER_TOKEN),
    clock: {
      advance: async (bars = 1) => {
        now += (bars * 1000) / BARS_PER_SECOND;
        await gateway.tick();
      },
    },
    gateway,
    requestCount: async (method, route) => {
      const metrics = await gateway.metrics.registry.getMetricsAsJSON();
      const durations = metrics.find((m) => m.name === 'http_request_duration_seconds');
      return (durations?.values ?? [])
        .filter((v) => (v as { metricName?: string }).metricName === 'http_request_duration_seconds_count' && v.labels.method === method && v.labels.route === route)
        .reduce((sum, v) => sum + v.value, 0);
    },
    signedIn: async () => {
      const admin = anonymous.withToken((await anonymous.login(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)).token);
      await (viewerCreated ??= admin.request('POST', '/users', { body: { username: 'watcher', password: 'watcher-pass-1', role: 'viewer' } }));
      return { admin, viewer: anonymous.withToken((await anonymous.login('watcher', 'watcher-pass-1')).token) };
    },
    trader: async (username) => {
      const admin = anonymous.withToken((await anonymous.login(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)).token);
      await admin.request('POST', '/users', { body: { username, password: 'trader-pass-1', role: 'trader' } });
      return anonymous.withToken((await anonymous.login(username, 'trader-pass-1')).token);
    },
    idempotencyKeys: async (accountId = 'agent') =>
      (await gateway.db.query<{ key: string | null }>('SELECT idempotency_key AS key FROM orders WHERE account_id = $1 ORDER BY created_at, id', [accountId])).map((r) => r.key),
    close: () => gateway.stop(),
  };
}
