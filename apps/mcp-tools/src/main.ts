import { exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { createMcpTools, isCalculatorWorker, serveCalculatorWorker, serveStdio } from '@tradeyard/trading-tools';
import { mcpToolsConfigSchema } from './config';

// The calculator's worker threads re-enter this same file (new Worker(__filename)), hence the check first.
if (isCalculatorWorker()) serveCalculatorWorker();
else if (process.argv[2] === 'stdio') {
  // `main.js stdio`: the tools for one user over stdin/stdout (desktop MCP clients); errors to stderr, one line.
  serveStdio(process.env, __filename).then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
} else {
  exitOnUnhandledErrors('mcp-tools');
  void createMcpTools(loadConfigOrExit(mcpToolsConfigSchema), { calculatorWorkerFile: __filename }).start();
}
