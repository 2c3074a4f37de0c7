// An arena of 5 rule agents over the whole bundled S&P 500 history (prints; not a test): each agent
// on its own account through its own MCP client, the clock stepped in lockstep by the runner
// (libs/arena) in this process. The platform runs as deployed (npm start): the gateway (PGlite in a
// temporary DATA_DIR) and mcp-tools each in its own process from their built bundles, on free
// loopback ports. BENCH_INPROCESS=1 runs both in this process instead (the real gateway on
// in-memory PGlite, mcp-tools' endpoint on loopback): one core for everything.
// Prints wall time, agent-steps/s (one agent's turn on one bar), CPU per process, the requests each
// layer served per agent-step (from each service's request metric), and the board.
// Goal (issue 14): under 60 s for the whole history. Baseline (issue 23), measured after the run in
// the same process: as many bare MCP tool calls (the SDK client, as agents use it, against a tool
// that does nothing, over the same Streamable HTTP endpoint code, in this process) plus the same
// gateway reads, 5 callers at once; goal: an agent-step costs at most 2x that baseline.
// BENCH_ARENAS=N (issue 23) then runs N such arenas at once, each in a market of its own, and
// prints their wall time against the one arena alone measured just before in the same run (goal:
// N=4 within 2.5x of one).
// The machine's load average is printed first: on a shared machine the figures move with it.
// Run: npx tsx tools/bench/arena.ts   (BENCH_DAYS=N runs the first N days only; BENCH_SKIP_BUILD=1
// uses the bundles in dist as they are; BENCH_CPU_PROF=DIR writes a .cpuprofile of each process there)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { workspaceLibs } from './workspace-libs';
import { waitFor200 } from '../start/health.mjs';
import { bundlePath, serviceEnv, services } from '../start/services.mjs';

const lib = workspaceLibs('bench-arena');
const { startTestGateway, testGatewaySecrets } = lib<typeof import('@tradeyard/gateway-testing')>('../../libs/gateway-testing/src/index.ts');
const { calculate, createTradingMcpServer, gatewayPrincipalAuth, mountMcpEndpoint } = lib<typeof import('@tradeyard/trading-tools')>('../../libs/trading-tools/src/index.ts');
const { parseArenaConfig, startArenaRun } = lib<typeof import('@tradeyard/arena')>('../../libs/arena/src/index.ts');
const { GatewayClient } = lib<typeof import('@tradeyard/gateway-contract')>('../../libs/gateway-contract/src/index.ts');
const { isoDate, loadSp500 } = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const { createLogger } = lib<typeof import('@tradeyard/service-kit')>('../../libs/service-kit/src/index.ts');
const Fastify = lib<typeof import('fastify')>('fastify').default;
const { McpToolsClient } = lib<typeof import('@tradeyard/agent-live')>('../../libs/agent-live/src/index.ts');
const { McpServer } = lib<typeof import('@modelcontextprotocol/sdk/server/mcp.js')>('@modelcontextprotocol/sdk/server/mcp.js');

type Client = InstanceType<typeof GatewayClient>;
type ServiceName = 'api-gateway' | 'mcp-tools';
const root = resolve(__dirname, '../..');
const secrets = { ...testGatewaySecrets, MCP_AUTH_TOKEN: 'bench-mcp-token-0123456789' };
const gatewayEnv = { SYNTHETIC_SYMBOLS: '2', RATE_LIMIT_ORDERS_PER_MINUTE: '1000000' };

/** The platform the arena runs against, however it is shaped. */
interface Platform {
  shape: string;
  mcpUrl: string;
  admin: Client;
  /** Requests a service answered on a route, from its own request metric. */
  requests(service: ServiceName, method: string, route: string): Promise<number>;
  /** CPU seconds each process has used so far, by name. */
  cpuSeconds(): Record<string, number>;
  close(): Promise<void>;
}

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function inProcessPlatform(from: string): Promise<Platform> {
  const gateway = await startTestGateway({ startDate: from, env: gatewayEnv });
  const mcp = Fastify();
  let mcpCalls = 0;
  mcp.addHook('onRequest', async () => void mcpCalls++);
  const calculator = { calculate: async (expression: string) => calculate(expression) };
  mountMcpEndpoint(mcp, { authenticate: gatewayPrincipalAuth({ service: gateway.client, mcpAuthToken: secrets.MCP_AUTH_TOKEN }), createServer: (principal) => createTradingMcpServer({ gateway: principal.gateway, calculator }) });
  const mcpUrl = `${await mcp.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  return {
    shape: 'in one process (BENCH_INPROCESS=1): the real gateway on in-memory PGlite, mcp-tools\' endpoint and the runner',
    mcpUrl,
    admin: (await gateway.signedIn()).admin,
    requests: async (service, method, route) => (service === 'mcp-tools' ? mcpCalls : gateway.requestCount(method, route)),
    cpuSeconds: () => ({ 'bench (all)': ownCpuSeconds() }),
    close: async () => {
      await mcp.close();
      await gateway.close();
    },
  };
}

const freePort = () =>
  new Promise<number>((resolvePort, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });

/** user + system CPU seconds of a process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields are counted from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The sum of http_request_duration_seconds_count over a method and route, from a Prometheus text
 * exposition. Hand-written: prom-client writes this format but does not read it.
 */
function requestCount(exposition: string, method: string, route: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith('http_request_duration_seconds_count{')) continue;
    if (line.includes(`method="${method}"`) && line.includes(`route="${route}"`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The gateway and mcp-tools as npm start runs them: built bundles, each in its own process, with their environment. */
async function spawnedPlatform(from: string): Promise<Platform> {
  const names: ServiceName[] = ['api-gateway', 'mcp-tools'];
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static', '--projects', names.join(',')], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) throw new Error('building api-gateway and mcp-tools failed; run `NX_DAEMON=false npx nx run-many -t build --projects=api-gateway,mcp-tools` to see why');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-arena-data-'));
  // The gateway's arena page forwards to a trading agent at its port: none runs here, and nothing here uses the page.
  const ports = { 'api-gateway': await freePort(), 'mcp-tools': await freePort(), 'trading-agent': await freePort() };
  // Warnings only: the services' per-request info lines would go nowhere here.
  const baseEnv = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', REPLAY_START_DATE: from, ...gatewayEnv };
  const profileDir = process.env.BENCH_CPU_PROF;
  const children = new Map<ServiceName, ChildProcess>();
  for (const name of names) {
    const service = services.find((s) => s.name === name)!;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    children.set(name, spawn(process.execPath, [...profile, bundlePath(root, name)], { cwd: root, env: serviceEnv(service, { ports, secrets, dataDir, baseEnv }), stdio: ['ignore', 'inherit', 'inherit'] }));
  }
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;
  const stop = async () => {
    await Promise.all([...children.values()].map((child) => new Promise<void>((resolveExit) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
      // A graceful stop, so that --cpu-prof writes its profile; killed if it takes over 10 s.
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolveExit();
      });
      child.kill('SIGTERM');
    })));
    rmSync(dataDir, { recursive: true, force: true });
  };
  const healthy = await Promise.all(names.map((name) => waitFor200(`${url(name)}/health`, 60_000, { intervalMs: 100 })));
  if (healthy.includes(false)) {
    await stop();
    throw new Error(`not healthy within 60 s: ${names.filter((_, i) => !healthy[i]).join(', ')}`);
  }
  const anonymous = new GatewayClient({ baseUrl: url('api-gateway') });
  return {
    shape: `as deployed: api-gateway (pid ${children.get('api-gateway')!.pid}, PGlite in a temporary DATA_DIR) and mcp-tools (pid ${children.get('mcp-tools')!.pid}) each in its own process, the runner in this one`,
    mcpUrl: `${url('mcp-tools')}/mcp`,
    admin: anonymous.withToken((await anonymous.login(secrets.ADMIN_USERNAME, secrets.ADMIN_PASSWORD)).token),
    requests: async (service, method, route) => requestCount(await (await fetch(`${url(service)}/metrics`)).text(), method, route),
    cpuSeconds: () => ({ bench: ownCpuSeconds(), ...Object.fromEntries(names.map((name) => [name, procCpuSeconds(children.get(name)!.pid!)])) }),
    close: stop,
  };
}

async function main() {
  const spx = loadSp500();
  const days = Math.min(spx.length, Number(process.env.BENCH_DAYS ?? spx.length));
  const from = isoDate(spx[0].time);
  const to = isoDate(spx[days - 1].time);
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  const platform = process.env.BENCH_INPROCESS === '1' ? await inProcessPlatform(from) : await spawnedPlatform(from);
  console.log(`arena: 5 rule agents, SPX ${from} .. ${to} (${days} days), lockstep, real gateway (PGlite) + MCP tools`);
  console.log(`platform ${platform.shape}`);
  const { admin } = platform;
  // The clock's steps, timed: the one part of a step the runner waits on alone.
  let clockSteps = 0;
  let clockStepMs = 0;
  // On the prototype: the runner steps its own market's clock through a client of its own (admin.inMarket).
  const controlClock = GatewayClient.prototype.controlClock;
  GatewayClient.prototype.controlClock = async function (this: Client, control) {
    const before = performance.now();
    try {
      return await controlClock.call(this, control);
    } finally {
      if (control.action === 'step') [clockSteps, clockStepMs] = [clockSteps + 1, clockStepMs + performance.now() - before];
    }
  };
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
  const cpuBefore = platform.cpuSeconds();
  const run = startArenaRun({ config, outDir: out, mcpUrl: platform.mcpUrl, admin, env: {}, log: createLogger('bench-arena', 'silent'), publishEvery: 1000 });
  const progress = setInterval(() => {
    const s = run.status();
    console.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s: step ${s.stepsDone} (${s.currentDate})`);
  }, 10_000);
  const board = await run.done;
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = platform.cpuSeconds();
  const status = run.status();
  const agentSteps = status.stepsDone * config.agents.length;
  console.log(`\n${status.status}: ${status.stepsDone} steps x ${config.agents.length} agents = ${agentSteps} agent-steps in ${seconds.toFixed(1)} s wall`);
  const rate = agentSteps / seconds;
  const wholeHistory = (spx.length * config.agents.length) / rate;
  const verdict = days < spx.length ? `not measured (the first ${days} days); at this rate the whole history takes ${wholeHistory.toFixed(0)} s` : seconds < 60 ? 'met' : 'NOT met';
  console.log(`agent-steps/s: ${rate.toFixed(0)}   (goal: the whole history under 60 s: ${verdict})`);
  // CPU time moves less than wall time with the machine's load: the figure to compare changes by.
  const cpu = Object.entries(cpuAfter).map(([name, after]) => [name, after - cpuBefore[name]] as const);
  const cpuTotal = cpu.reduce((sum, [, s]) => sum + s, 0);
  const perStep = (s: number) => `${((s * 1000) / agentSteps).toFixed(2)} ms`;
  console.log(`CPU: ${perStep(cpuTotal)} per agent-step (${cpuTotal.toFixed(1)} s in ${seconds.toFixed(1)} s wall): ${cpu.map(([name, s]) => `${name} ${perStep(s)} (${s.toFixed(1)} s)`).join(', ')}`);
  console.log(`clock step: ${(clockStepMs / Math.max(1, clockSteps)).toFixed(2)} ms wall each, ${((clockStepMs / 1000 / seconds) * 100).toFixed(0)}% of the run's wall time`);
  const perAgentStep = async (service: ServiceName, method: string, route: string, digits = 2) => ((await platform.requests(service, method, route)) / agentSteps).toFixed(digits);
  console.log(`per agent-step: ${await perAgentStep('mcp-tools', 'POST', '/mcp')} MCP requests; gateway: ${await perAgentStep('api-gateway', 'GET', '/api/v1/bars/:symbol')} bar reads, ${await perAgentStep('api-gateway', 'GET', '/api/v1/portfolio')} portfolio reads, ${await perAgentStep('api-gateway', 'POST', '/api/v1/orders', 3)} orders`);
  const calls = { mcp: await platform.requests('mcp-tools', 'POST', '/mcp'), bars: await platform.requests('api-gateway', 'GET', '/api/v1/bars/:symbol'), portfolios: await platform.requests('api-gateway', 'GET', '/api/v1/portfolio') };
  const baseline = await bareCalls(platform.admin, config.agents.length, calls);
  console.log(`baseline: ${calls.mcp} bare MCP tool calls + ${calls.bars} bar reads + ${calls.portfolios} portfolio reads, ${config.agents.length} callers at once: ${baseline.toFixed(1)} s wall, ${((baseline * 1000) / agentSteps).toFixed(2)} ms per agent-step`);
  const stepRatio = seconds / baseline;
  console.log(`agent-step / baseline: ${stepRatio.toFixed(2)}x (goal: at most 2x): ${stepRatio <= 2 ? 'met' : 'NOT met'}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
  if (status.error) console.log(`error: ${status.error}`);
  for (const row of board.rows) console.log(`  ${String(row.rank ?? '-').padStart(2)} ${row.agent.padEnd(16)} sharpe ${(row.statistics.sharpe ?? NaN).toFixed(2).padStart(6)}  return ${((row.statistics.totalReturn ?? NaN) * 100).toFixed(1).padStart(7)}%  trades ${row.statistics.trades}`);
  const arenas = Number(process.env.BENCH_ARENAS ?? 1);
  if (arenas > 1) await manyAtOnce(platform, config, arenas, seconds, board);
  await platform.close();
  rmSync(out, { recursive: true, force: true });
}

/**
 * The calls an arena's agents made, bare: `calls.mcp` tool calls of a tool that does nothing (the
 * agents' MCP client against the same endpoint code, in this process) and the same bar and
 * portfolio reads of the gateway, spread over `callers` at once as the agents are. Wall seconds.
 */
async function bareCalls(admin: Client, callers: number, calls: { mcp: number; bars: number; portfolios: number }): Promise<number> {
  const { mountMcpEndpoint } = lib<typeof import('@tradeyard/trading-tools')>('../../libs/trading-tools/src/index.ts');
  const app = Fastify();
  mountMcpEndpoint(app, {
    authenticate: async () => ({ identity: { key: 'bench' } }),
    createServer: () => {
      const server = new McpServer({ name: 'bare', version: '1.0.0' });
      server.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
      return server;
    },
  });
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      const client = new McpToolsClient(url);
      for (let i = 0; i < Math.round(calls.mcp / callers); i++) await client.callRaw('noop');
      for (let i = 0; i < Math.round(calls.bars / callers); i++) await admin.getBars('SPX', { limit: 2 });
      for (let i = 0; i < Math.round(calls.portfolios / callers); i++) await admin.getPortfolio();
      await client.close();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await app.close();
  return seconds;
}

/** N copies of the arena at once, each in a market of its own: their wall time against the one alone, and each board against its board. */
async function manyAtOnce(platform: Platform, config: ReturnType<typeof parseArenaConfig>, arenas: number, aloneSeconds: number, alone: Awaited<ReturnType<typeof startArenaRun>['done']>) {
  const { comparableBoard } = lib<typeof import('@tradeyard/arena')>('../../libs/arena/src/index.ts');
  console.log(`\n${arenas} arenas at once, each in a market of its own:`);
  const started = performance.now();
  const outs = Array.from({ length: arenas }, () => mkdtempSync(join(tmpdir(), 'bench-arena-')));
  const boards = await Promise.all(outs.map((outDir) => startArenaRun({ config, outDir, mcpUrl: platform.mcpUrl, admin: platform.admin, env: {}, log: createLogger('bench-arena', 'silent'), publishEvery: 1000 }).done));
  const seconds = (performance.now() - started) / 1000;
  const same = boards.every((b) => JSON.stringify(comparableBoard(b)) === JSON.stringify(comparableBoard(alone)));
  console.log(`${boards.map((b) => b.status).join(', ')} in ${seconds.toFixed(1)} s wall; each board equals the one alone: ${same ? 'yes' : 'NO'}`);
  const ratio = seconds / aloneSeconds;
  console.log(`${arenas} at once / 1 alone (${aloneSeconds.toFixed(1)} s, this run): ${ratio.toFixed(2)}x (goal for 4: within 2.5x): ${arenas !== 4 ? 'not the goal\'s 4' : ratio <= 2.5 ? 'met' : 'NOT met'}`);
  for (const out of outs) rmSync(out, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
