/**
 * Gateway throughput on a real PostgreSQL server: authenticated quote reads/s and order
 * placements/s, each beside a bare Fastify answering a constant in the same run (the ceiling of
 * the HTTP stack on this machine). Goal: quote reads >= half of bare Fastify.
 * Needs the Debian postgresql binaries. Run: npx tsx tools/bench/gateway.ts
 */
import autocannon from 'autocannon';
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-gateway');
const { startPostgres, postgresMissing } = lib<typeof import('@tradeyard/persistence')>('../../libs/persistence/src/index.ts');
const { parseConfig } = lib<typeof import('@tradeyard/service-kit')>('../../libs/service-kit/src/index.ts');
// Fastify too, so the bare server and the gateway share one copy of it (plugins check its symbols).
const Fastify = lib<typeof import('fastify')>('fastify').default;
const { createGateway, gatewayConfigSchema } = lib<typeof import('@tradeyard/gateway-server')>('../../libs/gateway-server/src/index.ts');

const seconds = Number(process.env.BENCH_SECONDS ?? 5);

async function rate(options: autocannon.Options): Promise<number> {
  const result = await autocannon({ connections: 20, duration: seconds, ...options });
  const bad = result.non2xx + result.errors;
  if (bad > 0) console.log(`  (${bad} non-2xx/errors out of ${result.requests.total} on ${options.url})`);
  return result.requests.average;
}

async function main() {
  const missing = postgresMissing();
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  const pg = await startPostgres();
  const config = parseConfig(gatewayConfigSchema, {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: pg.url,
    ADMIN_PASSWORD: 'bench-admin-password',
    SCANNER_TOKEN: 'bench-scanner-token-0123456789',
    MCP_TOOLS_TOKEN: 'bench-mcp-tools-token-0123456789',
    TRADING_AGENT_TOKEN: 'bench-trading-agent-token-0123456789',
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef',
    PAPER_STARTING_CASH: '1000000000000',
    RATE_LIMIT_ORDERS_PER_MINUTE: '100000000',
  });
  const gateway = await createGateway({ ...config, PORT: 0 });
  const url = await gateway.start();
  const bare = Fastify();
  bare.get('/', async () => ({ symbol: 'SPX', price: 1 }));
  bare.post('/', async () => ({ ok: true }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  try {
    const auth = { authorization: `Bearer ${config.MCP_TOOLS_TOKEN}`, 'content-type': 'application/json' };
    const bareGet = await rate({ url: bareUrl });
    const quotes = await rate({ url: `${url}/api/v1/quotes/SPX`, headers: auth });
    const barePost = await rate({ url: bareUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    const orders = await rate({ url: `${url}/api/v1/orders`, method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'SPX', side: 'buy', quantity: 1 }) });
    console.log(`${seconds}s per run, 20 connections, gateway on PostgreSQL ${pg.url.replace(/:[^:@/]*@/, ':***@')}`);
    console.log(`bare Fastify GET constant     ${bareGet.toFixed(0)} req/s`);
    console.log(`gateway quote reads (authed)  ${quotes.toFixed(0)} req/s  = ${((quotes / bareGet) * 100).toFixed(0)}% of bare (goal >= 50%)`);
    console.log(`bare Fastify POST constant    ${barePost.toFixed(0)} req/s`);
    console.log(`gateway order placements      ${orders.toFixed(0)} req/s  = ${((orders / barePost) * 100).toFixed(0)}% of bare`);
  } finally {
    await bare.close();
    await gateway.stop();
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
