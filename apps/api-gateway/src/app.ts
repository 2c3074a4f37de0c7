import { ReplayClock, isoDate, loadSp500, symbolSchema } from '@tradeyard/market-data';
import { createService } from '@tradeyard/service-kit';
import { z } from 'zod';
import type { GatewayConfig } from './config';

export function createGateway(config: GatewayConfig, now: () => number = Date.now) {
  const service = createService({ name: 'api-gateway', config });
  const bars = loadSp500();
  const start = Math.max(0, bars.findIndex((b) => isoDate(b.time) >= config.REPLAY_START_DATE));
  const feeds = new Map([['SPX', new ReplayClock(bars, { barsPerSecond: config.REPLAY_BARS_PER_SECOND, startIndex: start, now })]]);
  service.addReadinessCheck({ name: 'market-data', check: () => void feeds.get('SPX')!.current() });

  const feedFor = (raw: string) => {
    const parsed = symbolSchema.safeParse(raw);
    if (!parsed.success) return { error: `symbol ${parsed.error.issues[0].message}` } as const;
    const feed = feeds.get(parsed.data);
    return feed ? ({ feed } as const) : ({ error: `unknown symbol ${parsed.data}; known: ${[...feeds.keys()].join(', ')}` } as const);
  };

  service.app.get<{ Params: { symbol: string } }>('/api/v1/quotes/:symbol', async (request, reply) => {
    const found = feedFor(request.params.symbol);
    if ('error' in found) return reply.code(404).send({ error: 'not_found', message: found.error });
    const bar = found.feed.current();
    return { symbol: bar.symbol, price: bar.close, time: bar.time, date: isoDate(bar.time) };
  });

  const barsQuery = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(100) });
  service.app.get<{ Params: { symbol: string }; Querystring: unknown }>('/api/v1/bars/:symbol', async (request, reply) => {
    const query = barsQuery.safeParse(request.query);
    if (!query.success) {
      return reply.code(400).send({ error: 'bad_request', message: `limit ${query.error.issues[0].message}` });
    }
    const found = feedFor(request.params.symbol);
    if ('error' in found) return reply.code(404).send({ error: 'not_found', message: found.error });
    return found.feed.history(query.data.limit);
  });

  return service;
}
