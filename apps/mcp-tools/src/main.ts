import { loadConfigOrExit } from '@tradeyard/service-kit';
import { createMcpTools } from './app';
import { mcpToolsConfigSchema } from './config';

const config = loadConfigOrExit(mcpToolsConfigSchema);
void createMcpTools(config).start();
