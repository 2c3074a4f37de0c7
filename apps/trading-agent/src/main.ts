import { loadConfigOrExit } from '@tradeyard/service-kit';
import { createAgent } from './app';
import { agentConfigSchema } from './config';

const config = loadConfigOrExit(agentConfigSchema);
void createAgent(config).start();
