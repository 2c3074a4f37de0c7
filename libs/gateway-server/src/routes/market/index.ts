import { barListSchema, barsQuerySchema, quoteDtoSchema, quoteListSchema, symbolListSchema } from '@tradeyard/gateway-contract';
import { isoDate, symbolSchema } from '@tradeyard/market-data';
import { UnsupportedIntervalError, type MarketHub } from '@tradeyard/market-hub';
import { HttpError, validationFailed } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const symbolParams = z.object({ symbol: symbolSchema });

/** `symbol` if the market has it; else a 404 saying where the known ones are listed. */
const known = (hub: MarketHub, symbol: string) => {
  if (!hub.has(symbol)) throw new HttpError(404, { error: 'not_found', message: `unknown symbol ${symbol}; GET /api/v1/symbols lists the ${hub.symbols().length} known` });
  return symbol;
};

/** Market data as of the market's clock: the symbols, their quotes and their bars. */
export const marketDataRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/symbols', { config: { auth: 'viewer' }, schema: { tags: ['market'], response: { 200: symbolListSchema } } }, async (request) =>
    app.marketOf(request).hub.symbolInfo(),
  );
  // One request for the whole universe (the dashboard's watchlist), instead of one per symbol.
  app.get('/api/v1/quotes', { config: { auth: 'viewer' }, schema: { tags: ['market'], response: { 200: quoteListSchema } } }, async (request) => {
    const { hub } = app.marketOf(request);
    return hub.symbols().flatMap((symbol) => hub.quote(symbol) ?? []);
  });
  app.get(
    '/api/v1/quotes/:symbol',
    { config: { auth: 'viewer' }, schema: { tags: ['market'], params: symbolParams, response: { 200: quoteDtoSchema } } },
    async (request) => {
      const { hub } = app.marketOf(request);
      const quote = hub.quote(known(hub, request.params.symbol));
      if (!quote) throw new HttpError(404, { error: 'not_found', message: `${request.params.symbol} has no closed bar yet as of the market clock (${isoDate(hub.time())})` });
      return quote;
    },
  );
  app.get(
    '/api/v1/bars/:symbol',
    { config: { auth: 'viewer' }, schema: { tags: ['market'], params: symbolParams, querystring: barsQuerySchema.strict(), response: { 200: barListSchema } } },
    async (request) => {
      const { hub } = app.marketOf(request);
      try {
        return hub.bars(known(hub, request.params.symbol), request.query);
      } catch (err) {
        if (err instanceof UnsupportedIntervalError) throw new HttpError(400, validationFailed([{ field: 'query.interval', rule: err.message }]));
        throw err;
      }
    },
  );
};
