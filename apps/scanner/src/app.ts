import { Rsi } from '@tradeyard/indicators';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { createService } from '@tradeyard/service-kit';
import { z } from 'zod';
import type { ScannerConfig } from './config';

const rsiQuery = z.object({
  period: z.coerce.number().int().min(2).max(500).default(14),
  limit: z.coerce.number().int().min(1).max(10_000).default(20),
});

export function createScanner(config: ScannerConfig) {
  const service = createService({ name: 'scanner', config });
  const history = { SPX: loadSp500() };

  // RSI over the bundled S&P 500 history, streaming bar by bar as the live scanner will.
  service.app.get<{ Params: { symbol: string }; Querystring: unknown }>(
    '/api/v1/indicators/:symbol/rsi',
    async (request, reply) => {
      const query = rsiQuery.safeParse(request.query);
      if (!query.success) {
        const issue = query.error.issues[0];
        return reply.code(400).send({ error: 'bad_request', message: `${issue.path.join('.')} ${issue.message}` });
      }
      const bars = history[request.params.symbol as keyof typeof history];
      if (!bars) return reply.code(404).send({ error: 'not_found', message: `unknown symbol ${request.params.symbol}` });
      const rsi = new Rsi(query.data.period);
      const values = bars.map((bar) => ({ date: isoDate(bar.time), value: rsi.update(bar.close) }));
      return { symbol: request.params.symbol, indicator: `rsi(${query.data.period})`, values: values.slice(-query.data.limit) };
    },
  );
  return service;
}
