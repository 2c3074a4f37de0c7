import { API_TOKEN_PREFIX } from '@tradeyard/gateway-contract';
import type { Bar } from '@tradeyard/market-data';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { admitServiceScope } from '../../service-credentials';
import { registerWebSocket } from './ws';

/**
 * WebSocket /ws: what a market releases (quotes, bars, each step's bars, the clock), the bus's
 * orders, fills and signals, and lockstep acknowledgements from consumers. A socket streams one
 * market: `?market=ID`, else its credential's account's, else the default one. The socket checks
 * its own clients: browsers cannot send an authorization header, so ?token=.
 */
export const streamRoutes: FastifyPluginAsyncZod = async (app) => {
  const { markets } = app;
  const marketNamed = (id: string) => markets.get(id) ?? markets.defaultMarket;
  const streams = registerWebSocket(
    app,
    app.bus,
    (token) => (token?.startsWith(API_TOKEN_PREFIX) ? app.apiTokens.admit(token, 'viewer') : app.verifyToken(token, 'viewer')),
    (message, principal, market) =>
      marketNamed(market)
        .operate(async (store) => {
          admitServiceScope(principal, 'clock', 'acknowledge lockstep steps');
          // The step's signals are stored before its acknowledgement counts: whoever reads at the next step sees them.
          if (message.signals) await app.storeSignals(message.signals, principal, (index) => `signals.${index}`, market);
          return store.ack(message.consumer, message.time, principal);
        })
        .catch((err: unknown) => {
          if (!(err instanceof HttpError)) app.log.error({ err }, 'a lockstep acknowledgement over the WebSocket failed');
          throw err;
        }),
    (market) => marketNamed(market).hub.time(),
    (named, principal) => app.resolveMarket(named, principal.accountId, 'query.market'),
  );
  markets.onOpened((market) =>
    market.listen({
      clockChanged: (clock) => streams.broadcastClock(market.id, clock),
      released: (events) => {
        events.forEach((event) => streams.broadcastMarket(market.id, event));
        const bars: Bar[] = events.flatMap((e) => (e.channel === 'bars' ? [e.data] : []));
        if (bars.length) streams.broadcastStep(market.id, market.view(), bars);
      },
    }),
  );
};
