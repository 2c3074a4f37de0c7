import { createServer } from 'node:http';
import { GatewayClient, GatewayError } from './client';
import { placeOcoSchema, placeOrderSchema, signalSchema } from './schemas';

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

  it('takes an expiry date with gtd only, and no time in force but gtc with an auction order', () => {
    const issues = (body: object) => placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: 1, ...body }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ type: 'limit', limitPrice: 90, timeInForce: 'gtd', expireDate: '2000-03-01' })).toBeUndefined();
    expect(issues({ type: 'market_on_open' })).toBeUndefined();
    expect(issues({ type: 'market_on_close', timeInForce: 'gtc' })).toBeUndefined();
    expect(issues({ type: 'limit', limitPrice: 90, timeInForce: 'gtd' })).toEqual([['expireDate', 'is required for timeInForce gtd']]);
    expect(issues({ timeInForce: 'day', expireDate: '2000-03-01' })).toEqual([['expireDate', 'must be omitted unless timeInForce is gtd']]);
    expect(issues({ timeInForce: 'gtd', expireDate: '2000-02-30' })).toEqual([['expireDate', 'must be a real calendar date']]);
    expect(issues({ type: 'market_on_close', timeInForce: 'day' })).toEqual([['timeInForce', 'must be gtc or omitted for a market_on_close order: it trades once, in its auction']]);
    expect(issues({ type: 'market_on_open', limitPrice: 5 })).toEqual([['limitPrice', 'must be omitted for a market_on_open order']]);
  });

  it('links two or more resting orders of one symbol in a one-cancels-other group', () => {
    const takeProfit = { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 1, limitPrice: 110 };
    const stopLoss = { symbol: 'SPX', side: 'sell', type: 'stop', quantity: 1, stopPrice: 90 };
    const issues = (orders: object[]) => placeOcoSchema.safeParse({ orders }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues([takeProfit, stopLoss])).toBeUndefined();
    expect(issues([takeProfit])).toEqual([['orders', 'must hold at least 2 orders: a one-cancels-other group links two or more']]);
    expect(issues(Array(11).fill(takeProfit))).toEqual([['orders', 'must hold at most 10 orders']]);
    expect(issues([takeProfit, { ...stopLoss, symbol: 'AAPL' }])).toEqual([['orders.1.symbol', "must be SPX, the symbol of the group's first order: a one-cancels-other group trades one symbol"]]);
    expect(issues([takeProfit, { ...stopLoss, timeInForce: 'ioc' }])?.[0]).toEqual(['orders.1.timeInForce', 'must be day, gtc or gtd for an order of a one-cancels-other group: its orders rest until one trades']);
    expect(issues([takeProfit, { ...stopLoss, timeInForce: 'day' }])).toEqual([['orders.1.timeInForce', "must be the same as the group's first order's (gtc): the orders of a group expire together"]]);
    const gtd = { timeInForce: 'gtd', expireDate: '2000-03-01' };
    expect(issues([{ ...takeProfit, ...gtd }, { ...stopLoss, ...gtd, expireDate: '2000-03-02' }])).toEqual([['orders.1.expireDate', "must be the same as the group's first order's (gtd 2000-03-01): the orders of a group expire together"]]);
    expect(issues([takeProfit, { ...stopLoss, stopPrice: undefined }])).toEqual([['orders.1.stopPrice', 'is required for a stop order']]);
  });

  it('names the rule a bad quantity breaks', () => {
    expect(placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: -2 }).error?.issues[0].message).toBe('must be greater than 0');
    expect(placeOrderSchema.safeParse({ symbol: 'SPX', side: 'buy', quantity: 2e9 }).error?.issues[0].message).toBe('must be at most 1e9');
  });

  it('fills in empty signal values', () => {
    expect(signalSchema.parse({ id: 'a', symbol: 'SPX', rule: 'r', time: 1, close: 2 }).values).toEqual({});
  });
});

// The client against the real gateway is the contract suite in libs/gateway-testing. Here: what
// the client makes of answers that are not the gateway's, from a stand-in for a proxy in front of it.
describe('GatewayClient behind a misbehaving proxy', () => {
  const server = createServer((req, res) => {
    if (req.url === '/api/v1/portfolio') {
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    }
    // A 200 whose body is not the contract's quote (price missing).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ symbol: 'SPX', time: 0, date: '1970-01-01' }));
  });
  let client: GatewayClient;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new GatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, token: 't0k3n' });
  });
  afterAll(() => server.close());

  it('turns an HTML error page into a GatewayError naming the status, not a SyntaxError', async () => {
    const error = await client.getPortfolio().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      status: 502,
      body: { error: 'invalid_response', message: 'gateway answered 502 with text/html, not JSON: <html><body><h1>502 Bad Gateway</h1></body></html>' },
    });
  });

  it('refuses a success answer outside the contract, naming the field', async () => {
    const error = await client.getQuote('SPX').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 200, body: { error: 'invalid_response' } });
    expect((error as GatewayError).message).toMatch(/^GET \/api\/v1\/quotes\/SPX answered 200 with a body outside the contract: price: /);
  });
});
