// Every app names its environment in src/config.ts (tools/docs/env-reference.ts reads it there);
// the scanner's schema lives with the scanner service in libs/scanner-core.
export { scannerConfigSchema, type ScannerConfig } from '@tradeyard/scanner-core';
