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
