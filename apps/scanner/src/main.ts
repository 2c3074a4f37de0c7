import { loadConfigOrExit } from '@tradeyard/service-kit';
import { createScanner } from './app';
import { scannerConfigSchema } from './config';

const config = loadConfigOrExit(scannerConfigSchema);
void createScanner(config).start();
