// An arena of 5 rule agents over the whole bundled S&P 500 history (prints; not a test): the real
// gateway in-process on PGlite, the real MCP tools server on loopback, each agent on its own
// account through its own MCP client, the clock stepped in lockstep by the runner (libs/arena).
// Prints wall time, agent-steps/s (one agent's turn on one bar), the requests each layer served
// per agent-step, and the board. Goal (issue 14): under 60 s for the whole history.
// The machine's load average is printed first: on a shared machine the figures move with it.
// Run: npx tsx tools/bench/arena.ts   (BENCH_DAYS=N runs the first N days only)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { register } from 'tsx/cjs/api';

// The path aliases live in tsconfig.base.json, so the libs load through a tsx namespace that
// reads it, as the other benches do.
process.env.TSX_TSCONFIG_PATH ??= resolve(__dirname, '../../tsconfig.base.json');
const tsx = register({ namespace: 'bench-arena' });
const lib = <T>(path: string): T => tsx.require(path, __filename);
const { startTestGateway } = lib<typeof import('@tradeyard/gateway-testing')>('../../libs/gateway-testing/src/index.ts');
const { calculate, createTradingMcpServer, gatewayForAccount, mountMcpEndpoint } = lib<typeof import('@tradeyard/trading-tools')>('../../libs/trading-tools/src/index.ts');
const { parseArenaConfig, startArenaRun } = lib<typeof import('@tradeyard/arena')>('../../libs/arena/src/index.ts');
const { isoDate, loadSp500 } = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const { createLogger } = lib<typeof import('@tradeyard/service-kit')>('../../libs/service-kit/src/index.ts');
const Fastify = lib<typeof import('fastify')>('fastify').default;

async function main() {
  const spx = loadSp500();
  const days = Math.min(spx.length, Number(process.env.BENCH_DAYS ?? spx.length));
  const from = isoDate(spx[0].time);
  const to = isoDate(spx[days - 1].time);
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  console.log(`arena: 5 rule agents, SPX ${from} .. ${to} (${days} days), lockstep, real gateway (PGlite) + MCP tools`);

  const gateway = await startTestGateway({ startDate: from, env: { SYNTHETIC_SYMBOLS: '2', RATE_LIMIT_ORDERS_PER_MINUTE: '1000000' } });
  const admin = (await gateway.signedIn()).admin;
  // The clock's steps, timed: the one part of a step the runner waits on alone.
  let clockSteps = 0;
  let clockStepMs = 0;
  const controlClock = admin.controlClock.bind(admin);
  admin.controlClock = async (control) => {
    const before = performance.now();
    try {
      return await controlClock(control);
    } finally {
      if (control.action === 'step') [clockSteps, clockStepMs] = [clockSteps + 1, clockStepMs + performance.now() - before];
    }
  };
  const mcpToken = 'bench-mcp-token-0123456789';
  const mcp = Fastify();
  let mcpCalls = 0;
  mcp.addHook('onRequest', async () => void mcpCalls++);
  const calculator = { calculate: async (expression: string) => calculate(expression) };
  mountMcpEndpoint(mcp, { authToken: mcpToken, createServer: (account) => createTradingMcpServer({ gateway: gatewayForAccount(gateway.client, account), calculator }) });
  const mcpUrl = `${await mcp.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  const out = mkdtempSync(join(tmpdir(), 'bench-arena-'));

  const config = parseArenaConfig({
    name: 'bench five rules',
    market: { symbols: ['SPX'], from, to },
    agents: [
      { kind: 'rule', name: 'sma-10-30', strategy: { name: 'sma-cross', fast: 10, slow: 30 } },
      { kind: 'rule', name: 'sma-50-200', strategy: { name: 'sma-cross', fast: 50, slow: 200 } },
      { kind: 'rule', name: 'rsi-14', strategy: { name: 'rsi-reversion', period: 14 } },
      { kind: 'rule', name: 'breakout-20-10', strategy: { name: 'breakout' } },
      { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } },
    ],
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const run = startArenaRun({ config, outDir: out, mcpUrl, mcpToken, admin, env: {}, log: createLogger('bench-arena', 'silent'), publishEvery: 1000 });
  const progress = setInterval(() => {
    const s = run.status();
    console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s: step ${s.stepsDone} (${s.currentDate})`);
  }, 10_000);
  const board = await run.done;
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const status = run.status();
  const agentSteps = status.stepsDone * config.agents.length;
  console.log(`\n${status.status}: ${status.stepsDone} steps x ${config.agents.length} agents = ${agentSteps} agent-steps in ${seconds.toFixed(1)} s wall`);
  const rate = agentSteps / seconds;
  const wholeHistory = (spx.length * config.agents.length) / rate;
  const verdict = days < spx.length ? `not measured (the first ${days} days); at this rate the whole history takes ${wholeHistory.toFixed(0)} s` : seconds < 60 ? 'met' : 'NOT met';
  console.log(`agent-steps/s: ${rate.toFixed(0)}   (goal: the whole history under 60 s: ${verdict})`);
  // CPU time moves less than wall time with the machine's load: the figure to compare changes by.
  console.log(`CPU: ${((cpu.user + cpu.system) / 1000 / agentSteps).toFixed(2)} ms per agent-step (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of ${seconds.toFixed(1)} s wall)`);
  console.log(`clock step: ${(clockStepMs / Math.max(1, clockSteps)).toFixed(2)} ms wall each, ${((clockStepMs / 1000 / seconds) * 100).toFixed(0)}% of the run's wall time`);
  console.log(`per agent-step: ${(mcpCalls / agentSteps).toFixed(2)} MCP requests; gateway: ${((await gateway.requestCount('GET', '/api/v1/bars/:symbol')) / agentSteps).toFixed(2)} bar reads, ${((await gateway.requestCount('GET', '/api/v1/portfolio')) / agentSteps).toFixed(2)} portfolio reads, ${((await gateway.requestCount('POST', '/api/v1/orders')) / agentSteps).toFixed(3)} orders`);
  if (status.error) console.log(`error: ${status.error}`);
  for (const row of board.rows) console.log(`  ${String(row.rank ?? '-').padStart(2)} ${row.agent.padEnd(16)} sharpe ${(row.statistics.sharpe ?? NaN).toFixed(2).padStart(6)}  return ${((row.statistics.totalReturn ?? NaN) * 100).toFixed(1).padStart(7)}%  trades ${row.statistics.trades}`);
  await mcp.close();
  await gateway.close();
  rmSync(out, { recursive: true, force: true });
}

void main();
