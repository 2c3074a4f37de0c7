import { isGridWorker, serveGridWorker } from '@tradeyard/backtest';
import { loadConfigOrExit } from '@tradeyard/service-kit';
import { createAgent } from './app';
import { runBacktestCommand } from './backtest-command';
import { agentConfigSchema } from './config';

/**
 * One bundle, several modes (entry-point arguments, not images):
 *   main.js [serve]                   the HTTP service (default)
 *   main.js backtest --strategy=...   one backtest or a parameter grid, JSON/HTML out
 *   main.js backtest-worker           runs a grid spec, writes results under DATA_DIR
 * Grid worker threads re-enter this same file (new Worker(__filename)), hence the check first.
 */
async function main(argv: string[]): Promise<number | undefined> {
  const [command = 'serve', ...args] = argv;
  if (command === 'backtest' || command === 'backtest-worker') {
    return runBacktestCommand(command, args, { stdout: process.stdout, stderr: process.stderr, env: process.env, workerFile: __filename });
  }
  if (command !== 'serve') {
    process.stderr.write(`unknown command "${command}"\nusage: main.js [serve | backtest ... | backtest-worker ...]\n`);
    return 2;
  }
  const config = loadConfigOrExit(agentConfigSchema);
  const agent = createAgent(config);
  // LIVE AGENT: the lead wires @tradeyard/agent-live here (an MCP client of mcp-tools running
  // the configured strategy each cycle, with its run log routes on agent.app). Not part of the
  // backtest work; serve mode today is the backtest HTTP API only.
  await agent.start();
  return undefined;
}

if (isGridWorker()) serveGridWorker();
else
  void main(process.argv.slice(2)).then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
