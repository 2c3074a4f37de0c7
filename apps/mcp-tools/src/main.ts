import { exitOnUnhandledErrors, loadConfigOrExit } from '@tradeyard/service-kit';
import { createMcpTools } from './app';
import { mcpToolsConfigSchema } from './config';

exitOnUnhandledErrors('mcp-tools');

const config = loadConfigOrExit(mcpToolsConfigSchema);
void createMcpTools(config).start();
