import { runBacktest } from '@tradeyard/backtest';
import { buyAndHold } from '@tradeyard/strategies';
import { loadSp500 } from '@tradeyard/market-data';
import { createService } from '@tradeyard/service-kit';
import type { AgentConfig } from './config';

export function createAgent(config: AgentConfig) {
  const service = createService({ name: 'trading-agent', config });

  service.app.get('/api/v1/backtests/buy-and-hold', async () => {
    const { equity: _equity, ...summary } = runBacktest(loadSp500(), buyAndHold());
    return summary;
  });
  return service;
}
