import { exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { createMcpTools, isCalculatorWorker, serveCalculatorWorker } from '@tradeyard/trading-tools';
import { mcpToolsConfigSchema } from './config';

// The calculator's worker threads re-enter this same file (new Worker(__filename)), hence the check first.
if (isCalculatorWorker()) serveCalculatorWorker();
else {
  exitOnUnhandledErrors('mcp-tools');
  void createMcpTools(loadConfigOrExit(mcpToolsConfigSchema), { calculatorWorkerFile: __filename }).start();
}
