import { exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { createScanner } from '@tradeyard/scanner-core';
import { runScanCommand, usage } from './cli';
import { scannerConfigSchema } from './config';

exitOnUnhandledErrors('scanner');

// `main.js` (or `main.js serve`) runs the service; `main.js scan ...` is the one-shot CLI.
const [command = 'serve', ...args] = process.argv.slice(2);
if (command === 'scan') {
  void runScanCommand(args).then((code) => process.exit(code));
} else if (command === 'serve') {
  const config = loadConfigOrExit(scannerConfigSchema);
  try {
    void createScanner(config).start();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
} else {
  console.error(`error: unknown command '${command}'\n${usage}\n       main.js [serve]`);
  process.exit(2);
}
