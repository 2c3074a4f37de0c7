import {
  barsQuerySchema,
  ordersQuerySchema,
  placeOrderSchema,
  signalsQuerySchema,
  type ApiError,
  type Order,
  type Portfolio,
  type Signal,
} from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/** One request the double received, for assertions. */
export interface RecordedRequest {
  method: string;
  url: string;
  idempotencyKey?: string;
  body?: unknown;
}

export interface GatewayDoubleOptions {
  token: string;
  /** Daily bars per symbol, oldest first; the "current" bar is `cursor` (advance() moves it). */
  bars: Record<string, Bar[]>;
  cursor: number;
  cash?: number;
  signals?: Signal[];
}

/**
 * A loopback stand-in for the api-gateway routes the MCP tools call, while the real gateway is
 * built in parallel: requests are validated with the gateway-contract schemas and answered in the
 * contract's shapes and error format. A minimal paper broker: market orders fill at the current
 * close, limit orders rest unless marketable, no fees. Not a gateway: no persistence, one account.
 */
export async function startGatewayDouble(options: GatewayDoubleOptions) {
  const app = Fastify();
  const requests: RecordedRequest[] = [];
  const orders: Order[] = [];
  const byKey = new Map<string, Order>();
  const positions = new Map<string, { quantity: number; avgPrice: number }>();
  const initialCash = options.cash ?? 100_000;
  let cash = initialCash;
  let cursor = options.cursor;

  const fail = (status: number, error: string, message: string, details?: ApiError['details']) => ({ status, body: { error, message, details } });
  const invalid = (err: z.ZodError) => {
    const details = err.issues.map((i) => ({ field: i.path.join('.') || '(body)', rule: i.message }));
    return fail(400, 'validation_failed', details.map((d) => `${d.field}: ${d.rule}`).join('; '), details);
  };
  const currentBar = (symbol: string) => options.bars[symbol]?.[cursor];
  const priceOf = (symbol: string) => currentBar(symbol)?.close ?? 0;

  app.addHook('onRequest', async (request, reply) => {
    requests.push({ method: request.method, url: request.url, idempotencyKey: request.headers['idempotency-key'] as string | undefined });
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
    }
  });
  app.addHook('preHandler', async (request) => {
    requests[requests.length - 1].body = request.body;
  });
  const send = (reply: import('fastify').FastifyReply, result: { status: number; body: unknown }) => reply.code(result.status).send(result.body);

  app.get('/api/v1/symbols', async () => Object.keys(options.bars).map((symbol) => ({ symbol, source: 'replay' })));

  app.get<{ Params: { symbol: string } }>('/api/v1/quotes/:symbol', async (request, reply) => {
    const bar = currentBar(request.params.symbol);
    if (!bar) return send(reply, fail(404, 'not_found', `unknown symbol ${request.params.symbol}`));
    return { symbol: bar.symbol, price: bar.close, time: bar.time, date: isoDate(bar.time) };
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/bars/:symbol', async (request, reply) => {
    const query = barsQuerySchema.safeParse(request.query);
    if (!query.success) return send(reply, invalid(query.error));
    const all = options.bars[request.params.symbol];
    if (!all) return send(reply, fail(404, 'not_found', `unknown symbol ${request.params.symbol}`));
    const { from, to, limit = 500 } = query.data;
    const inRange = all.slice(0, cursor + 1).filter((b) => (!from || isoDate(b.time) >= from) && (!to || isoDate(b.time) <= to));
    return inRange.slice(-limit);
  });

  const fill = (order: Order, price: number) => {
    const signed = order.side === 'buy' ? order.quantity : -order.quantity;
    const held = positions.get(order.symbol) ?? { quantity: 0, avgPrice: 0 };
    const quantity = held.quantity + signed;
    const avgPrice = order.side === 'buy' ? (held.quantity * held.avgPrice + order.quantity * price) / quantity : held.avgPrice;
    positions.set(order.symbol, { quantity, avgPrice });
    cash -= signed * price;
    Object.assign(order, { status: 'filled', filledQuantity: order.quantity, avgFillPrice: price });
  };

  app.post('/api/v1/orders', async (request, reply) => {
    const key = request.headers['idempotency-key'] as string | undefined;
    if (key && byKey.has(key)) return reply.code(200).send(byKey.get(key));
    const parsed = placeOrderSchema.safeParse(request.body);
    if (!parsed.success) return send(reply, invalid(parsed.error));
    const input = parsed.data;
    if (!currentBar(input.symbol)) return send(reply, fail(404, 'not_found', `unknown symbol ${input.symbol}`));
    const now = new Date().toISOString();
    const order: Order = {
      id: randomUUID(), accountId: 'agent', symbol: input.symbol, side: input.side, type: input.type, quantity: input.quantity,
      limitPrice: input.limitPrice ?? null, status: 'accepted', reasonCode: null, reason: null, filledQuantity: 0, avgFillPrice: null, fees: 0, currency: 'USD',
      createdAt: now, updatedAt: now,
    };
    const price = priceOf(input.symbol);
    const marketable = input.type === 'market' || (input.side === 'buy' ? input.limitPrice! >= price : input.limitPrice! <= price);
    if (input.side === 'buy' && marketable && input.quantity * price > cash + 1e-9) {
      Object.assign(order, { status: 'denied', reasonCode: 'denied_buying_power', reason: `insufficient cash: needs ${(input.quantity * price).toFixed(2)}, has ${cash.toFixed(2)}` });
    } else if (input.side === 'sell' && input.quantity > (positions.get(input.symbol)?.quantity ?? 0) + 1e-9) {
      Object.assign(order, { status: 'denied', reasonCode: 'denied_insufficient_position', reason: `insufficient position: holds ${positions.get(input.symbol)?.quantity ?? 0} ${input.symbol}` });
    } else if (marketable) {
      fill(order, price);
    }
    orders.unshift(order);
    if (key) byKey.set(key, order);
    return reply.code(201).send(order);
  });

  app.get('/api/v1/orders', async (request, reply) => {
    const query = ordersQuerySchema.safeParse(request.query);
    if (!query.success) return send(reply, invalid(query.error));
    const { status, symbol, limit = 100 } = query.data;
    return orders.filter((o) => (!status || o.status === status) && (!symbol || o.symbol === symbol)).slice(0, limit);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/orders/:id', async (request, reply) => {
    const order = orders.find((o) => o.id === request.params.id);
    if (!order) return send(reply, fail(404, 'not_found', `no order ${request.params.id}`));
    if (order.status !== 'accepted') return send(reply, fail(409, 'conflict', `order ${order.id} is ${order.status} and cannot be cancelled`));
    Object.assign(order, { status: 'cancelled', reasonCode: 'cancelled_by_account', reason: 'cancelled by the account', updatedAt: new Date().toISOString() });
    return order;
  });

  app.get('/api/v1/portfolio', async (): Promise<Portfolio> => {
    const list = [...positions].filter(([, p]) => p.quantity > 1e-9).map(([symbol, p]) => {
      const marketPrice = priceOf(symbol);
      return { symbol, quantity: p.quantity, avgPrice: p.avgPrice, costBasis: p.quantity * p.avgPrice, marketPrice, marketValue: p.quantity * marketPrice, unrealizedPnl: p.quantity * (marketPrice - p.avgPrice), realizedPnl: 0 };
    });
    const positionsValue = list.reduce((sum, p) => sum + p.marketValue, 0);
    const unrealizedPnl = list.reduce((sum, p) => sum + p.unrealizedPnl, 0);
    // The double charges no fees and realizes no P&L; its equity is still cash plus positions.
    return { accountId: 'agent', currency: 'USD', initialCash, cash, positionsValue, equity: cash + positionsValue, realizedPnl: 0, unrealizedPnl, feesPaid: 0, positions: list };
  });

  app.get('/api/v1/signals', async (request, reply) => {
    const query = signalsQuerySchema.safeParse(request.query);
    if (!query.success) return send(reply, invalid(query.error));
    const { symbol, rule, from, to, limit = 100 } = query.data;
    return (options.signals ?? [])
      .filter((s) => (!symbol || s.symbol === symbol) && (!rule || s.rule === rule) && (from === undefined || s.time >= from) && (to === undefined || s.time <= to))
      .slice(0, limit);
  });

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    requests,
    orders,
    /** Moves the replay clock to the next bar. */
    advance: () => void cursor++,
    close: () => app.close(),
  };
}
export type GatewayDouble = Awaited<ReturnType<typeof startGatewayDouble>>;
