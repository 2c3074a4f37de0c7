import { createServer } from 'node:http';
import { GatewayClient, GatewayError } from './client';
import { placeOrderSchema, signalSchema } from './schemas';

describe('placeOrderSchema', () => {
  it('defaults to a market order and requires a limit price only for limit orders', () => {
    expect(placeOrderSchema.parse({ symbol: 'SPX', side: 'buy', quantity: 1 })).toEqual({ symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 });
    const missing = placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1 });
    expect(missing.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['limitPrice', 'is required for a limit order']]);
    const extra = placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: 1, limitPrice: 5 });
    expect(extra.error?.issues[0].message).toBe('must be omitted for a market order');
  });

  it('takes the price fields each order type needs, and names a missing or extra one', () => {
    const issues = (body: object) => placeOrderSchema.safeParse({ symbol: 'SPX', side: 'sell', quantity: 1, ...body }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ type: 'stop', stopPrice: 90, timeInForce: 'day' })).toBeUndefined();
    expect(issues({ type: 'stop_limit', stopPrice: 90, limitPrice: 89 })).toBeUndefined();
    expect(issues({ type: 'trailing_stop', trailPercent: 5, timeInForce: 'gtc' })).toBeUndefined();
    expect(issues({ type: 'stop' })).toEqual([['stopPrice', 'is required for a stop order']]);
    expect(issues({ type: 'stop_limit', stopPrice: 90 })).toEqual([['limitPrice', 'is required for a stop_limit order']]);
    expect(issues({ type: 'limit', limitPrice: 90, stopPrice: 80 })).toEqual([['stopPrice', 'must be omitted for a limit order']]);
    expect(issues({ type: 'trailing_stop', trailPercent: 5, trailAmount: 2 })).toEqual([['trailAmount', 'a trailing_stop order takes exactly one of trailAmount and trailPercent']]);
    expect(issues({ type: 'trailing_stop', trailPercent: 100 })).toEqual([['trailPercent', 'must be below 100']]);
    expect(issues({ type: 'market', trailAmount: 2 })).toEqual([['trailAmount', 'must be omitted for a market order']]);
    expect(issues({ timeInForce: 'week' })?.[0][0]).toBe('timeInForce');
  });

  it('names the rule a bad quantity breaks', () => {
    expect(placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: -2 }).error?.issues[0].message).toBe('must be greater than 0');
    expect(placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: 2e9 }).error?.issues[0].message).toBe('must be at most 1e9');
  });

  it('fills in empty signal values', () => {
    expect(signalSchema.parse({ id: 'a', symbol: 'SPX', rule: 'r', time: 1, close: 2 }).values).toEqual({});
  });
});

describe('GatewayClient', () => {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1/orders' && req.method === 'POST') {
      res.statusCode = 400;
      return res.end(JSON.stringify({ error: 'validation_failed', message: 'body.quantity: must be greater than 0', details: [{ field: 'body.quantity', rule: 'must be greater than 0' }] }));
    }
    res.end(JSON.stringify({ symbol: 'SPX', price: 1, time: 0, date: '1970-01-01', auth: req.headers.authorization, key: req.headers['idempotency-key'] }));
  });
  let baseUrl: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('sends the bearer token and decodes JSON', async () => {
    const quote = await new GatewayClient({ baseUrl, token: 't0k3n' }).getQuote('SPX');
    expect(quote).toMatchObject({ symbol: 'SPX', auth: 'Bearer t0k3n' });
  });

  it('turns an error answer into a GatewayError carrying the status and the body', async () => {
    const error = await new GatewayClient({ baseUrl }).placeOrder({ symbol: 'SPX', side: 'buy', quantity: -1 }, 'k1').catch((e) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.status).toBe(400);
    expect(error.body.details).toEqual([{ field: 'body.quantity', rule: 'must be greater than 0' }]);
  });
});
