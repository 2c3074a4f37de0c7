import { randomUUID } from 'node:crypto';
import { backtestOptionsSchema, type BacktestResult, renderHtmlReport, runBacktest, summarize } from '@tradeyard/backtest';
import { createService, HttpError, parseInput, validationFailed, writeAuth } from '@tradeyard/service-kit';
import { createStrategy, strategySpecSchema } from '@tradeyard/strategies';
import { z } from 'zod';
import type { AgentConfig } from './config';
import { DataError, dataSourceSchema, loadDataSource } from './data';

export const backtestRequestSchema = z.strictObject({
  strategy: strategySpecSchema,
  data: dataSourceSchema.default({ source: 'sp500' }),
  options: backtestOptionsSchema.default(backtestOptionsSchema.parse({})),
});

/** Results kept for their report and trade log; the oldest go first. */
const KEEP_RESULTS = 50;

export function createAgent(config: AgentConfig) {
  const service = createService({ name: 'trading-agent', config });
  const results = new Map<string, BacktestResult>();

  const preHandler = writeAuth(service.app, { serviceToken: config.SERVICE_TOKEN, jwtSecret: config.JWT_SECRET });
  service.app.post('/api/v1/backtests', { bodyLimit: 32 * 1024 * 1024, preHandler }, async (request, reply) => {
    const { strategy, data, options } = parseInput(backtestRequestSchema, request.body, 'body');
    let result: BacktestResult;
    try {
      result = runBacktest(loadDataSource(data), createStrategy(strategy), options);
    } catch (err) {
      if (err instanceof DataError) throw new HttpError(400, validationFailed([{ field: 'body.data', rule: err.message }]));
      throw err;
    }
    const id = randomUUID();
    results.set(id, result);
    if (results.size > KEEP_RESULTS) results.delete(results.keys().next().value!);
    return reply.code(201).send({ id, report: `/api/v1/backtests/${id}/report`, ...summarize(result), tradeLog: result.tradeLog });
  });

  const find = (id: string) => results.get(id);
  const notFound = (id: string) => ({ error: 'not_found', message: `no backtest ${id} (only the last ${KEEP_RESULTS} are kept)` });

  service.app.get<{ Params: { id: string } }>('/api/v1/backtests/:id', async (request, reply) => {
    const result = find(request.params.id);
    if (!result) return reply.code(404).send(notFound(request.params.id));
    return { id: request.params.id, ...summarize(result), tradeLog: result.tradeLog };
  });

  service.app.get<{ Params: { id: string } }>('/api/v1/backtests/:id/report', async (request, reply) => {
    const result = find(request.params.id);
    if (!result) return reply.code(404).send(notFound(request.params.id));
    return reply.type('text/html; charset=utf-8').send(renderHtmlReport(result));
  });
  return service;
}
