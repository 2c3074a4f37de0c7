import { Broker, BrokerError, type BrokerSettings } from '@tradeyard/broker';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { GatewayConfig } from '../../config';
import { serviceCredentials } from '../../service-credentials';

declare module 'fastify' {
  interface FastifyInstance {
    /** The paper broker and portfolio ledger (libs/broker) on the market's prices. */
    broker: Broker;
  }
}

/** The HTTP status of each kind of broker error; the broker itself knows no HTTP. */
const brokerErrorStatus: Record<BrokerError['kind'], number> = { invalid: 400, not_found: 404, conflict: 409, idempotency_mismatch: 422 };

/** Runs a broker call, answering its refusals (BrokerError) as HTTP errors naming the field. */
export async function brokerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BrokerError) {
      const details = err.field ? [{ field: err.field === 'Idempotency-Key' ? 'headers.idempotency-key' : `body.${err.field}`, rule: err.message }] : undefined;
      throw new HttpError(brokerErrorStatus[err.kind], { error: err.code, message: err.message, ...(details && { details }) });
    }
    throw err;
  }
}

const brokerSettings = (config: GatewayConfig): BrokerSettings => ({
  startingCash: config.PAPER_STARTING_CASH,
  feeBps: config.FEE_BPS,
  feeFixed: config.FEE_FIXED,
  slippageBps: config.SLIPPAGE_BPS,
  feePerShare: config.FEE_PER_SHARE,
  feeMinimum: config.FEE_MINIMUM,
  priceImpact: config.SLIPPAGE_PRICE_IMPACT,
  volumeLimit: config.VOLUME_LIMIT,
  maxOrderNotional: config.MAX_ORDER_NOTIONAL,
  maxPositionNotional: config.MAX_POSITION_NOTIONAL,
  allowShort: config.ALLOW_SHORT === 'true',
  shortMargin: { initial: config.SHORT_INITIAL_MARGIN, maintenance: config.SHORT_MAINTENANCE_MARGIN },
});

/**
 * The broker, and the resting orders it fills on each quote a market releases: each account
 * trades at the prices of its own market (libs/broker markets.ts). Its commits wake the outbox
 * relay, which publishes their order and fill events.
 */
const registerBroker: FastifyPluginAsync = async (app) => {
  const { config, db, bus, relay, markets } = app;
  // Per market, the symbols with open orders, read when a tick needs them and kept until an order
  // may have changed: a commit of this gateway's broker (every order change writes its event and
  // calls back), an order or fill event of another replica on the shared bus, or the clock refresh
  // each second (replicas sharing a database without Redis). A tick then costs no query; a replica
  // that learns of another's order late still fills it, since the replica that took it ticks too.
  const openOrderSymbols = new Map<string, Promise<Set<string>>>();
  const ordersChanged = () => openOrderSymbols.clear();
  bus.subscribe((event) => {
    if (event.channel === 'orders' || event.channel === 'fills') ordersChanged();
  });
  const broker = new Broker(db, (market) => markets.get(market)?.hub, brokerSettings(config), () => {
    ordersChanged();
    relay.nudge();
  });
  // Users get their paper account at login or creation; a service that trades has its account from the start.
  for (const { principal } of serviceCredentials) if (principal.scopes.includes('trade')) await broker.ensureAccount(principal.accountId);
  app.decorate('broker', broker);
  const withOpenOrders = (market: string) => {
    let symbols = openOrderSymbols.get(market);
    if (!symbols) {
      symbols = broker.symbolsWithOpenOrders(market).catch((err: unknown) => {
        openOrderSymbols.delete(market);
        throw err;
      });
      openOrderSymbols.set(market, symbols);
    }
    return symbols;
  };
  markets.onOpened((market) =>
    market.listen({
      // Each symbol whose bar moved has one quote event; of those, only symbols with open orders can
      // fill. One query for them instead of one per moved symbol (100+ each tick in the universe).
      settle: async (events) => {
        const withOrders = await withOpenOrders(market.id);
        await Promise.all(events.flatMap((e) => (e.channel === 'quotes' && withOrders.has(e.data.symbol) ? [broker.matchRestingOrders(e.data.symbol, market.id)] : [])));
      },
      refreshed: ordersChanged,
    }),
  );
};

export const brokerPlugin = fp(registerBroker, { name: 'broker', fastify: '5.x', dependencies: ['bus', 'market'] });
