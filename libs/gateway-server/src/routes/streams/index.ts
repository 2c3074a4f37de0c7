import type { Bar } from '@tradeyard/market-data';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { admitServiceScope } from '../../service-credentials';
import { registerWebSocket } from './ws';

/**
 * WebSocket /ws: what the market releases (quotes, bars, each step's bars, the clock), the bus's
 * orders, fills and signals, and lockstep acknowledgements from consumers. The socket checks its
 * own clients: browsers cannot send an authorization header, so ?token=.
 */
export const streamRoutes: FastifyPluginAsyncZod = async (app) => {
  // Sockets do not name a market yet: they follow the default one (plugins/app/market says how markets plug in).
  const market = app.marketOf();
  const streams = registerWebSocket(
    app,
    app.bus,
    (token) => app.verifyToken(token, 'viewer'),
    (message, principal) =>
      market
        .operate(async (store) => {
          admitServiceScope(principal, 'clock', 'acknowledge lockstep steps');
          // The step's signals are stored before its acknowledgement counts: whoever reads at the next step sees them.
          if (message.signals) await app.storeSignals(message.signals, principal, (index) => `signals.${index}`);
          return store.ack(message.consumer, message.time, principal);
        })
        .catch((err: unknown) => {
          if (!(err instanceof HttpError)) app.log.error({ err }, 'a lockstep acknowledgement over the WebSocket failed');
          throw err;
        }),
    () => market.hub.time(),
  );
  market.listen({
    clockChanged: streams.broadcastClock,
    released: (events) => {
      events.forEach(streams.broadcastMarket);
      const bars: Bar[] = events.flatMap((e) => (e.channel === 'bars' ? [e.data] : []));
      if (bars.length) streams.broadcastStep(market.view(), bars);
    },
  });
};
