import { startLiveAgent } from '@tradeyard/agent-live';
import { isGridWorker, serveGridWorker } from '@tradeyard/backtest';
import { runArenaCommand } from '@tradeyard/arena';
import { createLogger, exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { isJobChunkWorker, serveJobChunks } from '@tradeyard/jobs';
import { createAgent, createJobWorker } from './app';
import { agentJobKinds } from './jobs';
import { runBacktestCommand } from './backtest-command';
import { agentConfigSchema } from './config';

exitOnUnhandledErrors('trading-agent');

/**
 * One bundle, several modes (entry-point arguments, not images):
 *   main.js [serve]                   the HTTP service (default): jobs API, and AGENT_WORKERS job workers
 *   main.js worker                    job workers only, on DATABASE_URL's queue (compose `worker` profile, replicas)
 *   main.js backtest --strategy=...   one backtest or a parameter grid, JSON/HTML out
 *   main.js backtest-worker           runs a grid spec, writes results under DATA_DIR
 *   main.js arena --config=F --out=D  an arena run through mcp-tools and the gateway (--replay=D replays one;
 *                                     no --config: ARENA_CONFIG, the compose worker profile)
 * Grid and job worker threads re-enter the script the process started from (this bundle; a test
 * fixture under tsx), hence the checks first.
 */
async function main(argv: string[]): Promise<number | undefined> {
  const [command = 'serve', ...args] = argv;
  if (command === 'backtest' || command === 'backtest-worker') {
    return runBacktestCommand(command, args, { stdout: process.stdout, stderr: process.stderr, env: process.env, workerFile: __filename });
  }
  if (command === 'arena') {
    const config = loadConfigOrExit(agentConfigSchema);
    return runArenaCommand(args, { stdout: process.stdout, stderr: process.stderr, config, log: createLogger('trading-agent', config.LOG_LEVEL) });
  }
  if (command !== 'serve' && command !== 'worker') {
    process.stderr.write(`unknown command "${command}"\nusage: main.js [serve | worker | backtest ... | backtest-worker ... | arena ...]\n`);
    return 2;
  }
  const config = loadConfigOrExit(agentConfigSchema);
  const jobs = { workerFile: process.argv[1] ?? __filename };
  if (command === 'worker') {
    if (!config.DATABASE_URL) {
      process.stderr.write('main.js worker takes jobs from DATABASE_URL’s queue: set DATABASE_URL (serve runs its own workers on the embedded PGlite)\n');
      return 2;
    }
    await createJobWorker(config, { jobs }).start();
    return undefined;
  }
  const agent = createAgent(config, { jobs });
  if (config.AGENT_LIVE === 'on') {
    // Registers /api/v1/runs on the app, so it must come before start(); the first cycle runs at
    // once and, while mcp-tools is not up yet, records an error and retries on the next one.
    const live = startLiveAgent(config, { log: agent.log, app: agent.app });
    // An SDK strategy that cannot load or breaks a rule stops the loop, not the service: /ready says why.
    agent.addReadinessCheck({ name: 'live-agent', check: () => live.readiness() });
    agent.app.addHook('onClose', () => live.stop());
  }
  await agent.start();
  return undefined;
}

if (isGridWorker()) serveGridWorker();
else if (isJobChunkWorker()) serveJobChunks(agentJobKinds);
else
  void main(process.argv.slice(2)).then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
