import { GatewayClient } from '@tradeyard/gateway-contract';
import { openDatabase } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from './gateway';
import { gatewayConfigSchema } from './config';
import { secrets } from './__fixtures__/secrets';

// Hostile input against the real gateway on PGlite: each reported case with its exact status.
let gateway: Gateway;
let url: string;
let token: string;

beforeAll(async () => {
  const config = parseConfig(gatewayConfigSchema, { HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: mkdtempSync(join(tmpdir(), 'gateway-input-')), ...secrets });
  // An in-memory database: what these tests read is the answers (gateway.spec covers DATA_DIR's).
  gateway = await createGateway({ ...config, PORT: 0 }, { database: await openDatabase({}) });
  url = await gateway.start();
  token = (await new GatewayClient({ baseUrl: url }).login('admin', secrets.ADMIN_PASSWORD)).token;
}, 120_000); // PGlite's start-up alone can pass Jest's 30 s on a loaded machine
afterAll(() => gateway?.stop());

const send = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error: string; details: Array<{ field: string; rule: string }> } };
};
const nul = 'must not contain control characters (found U+0000)';
const signal = { id: 's-1', symbol: 'SPX', rule: 'r', time: 946857600000, close: 1, values: { rsi: 1 } };

describe('gateway input validation', () => {
  it.each([
    ['POST', '/api/v1/auth/login', 'body.username', { username: 'ad\u0000min', password: 'x' }],
    ['POST', '/api/v1/signals', 'body.id', { ...signal, id: 'a\u0000b' }],
    ['POST', '/api/v1/signals', 'body.rule', { ...signal, rule: 'r\u0000' }],
    ['POST', '/api/v1/signals', 'body.values.rs\\u0000i', { ...signal, values: { 'rs\u0000i': 1 } }],
    ['POST', '/api/v1/orders', 'body.note', { symbol: 'SPX', side: 'buy', quantity: 1, note: '\u0007' }],
    ['GET', '/api/v1/signals?rule=%00', 'query.rule', undefined],
    ['GET', '/api/v1/quotes/SP%00X', 'params.symbol', undefined],
  ])('%s %s with a control character in %s is a 400 naming it', async (method, path, field, body) => {
    const res = await send(method, path, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details[0].field).toBe(field);
    expect(res.body.details[0].rule).toMatch(/must not contain control characters \(found U\+00(00|07)\)/);
  });

  it('answers malformed JSON, an unknown route and bad input in the platform error shape', async () => {
    const malformed = await fetch(new URL('/api/v1/auth/login', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
    const unknown = await send('GET', '/api/v1/nope?x=1');
    expect(unknown).toEqual({ status: 404, body: { error: 'not_found', message: 'no route GET /api/v1/nope' } });
    const invalid = await send('POST', '/api/v1/auth/login', { username: 'admin' });
    expect(invalid).toEqual({ status: 400, body: { error: 'validation_failed', message: 'body.password: Invalid input: expected string, received undefined', details: [{ field: 'body.password', rule: 'Invalid input: expected string, received undefined' }] } });
  });

  it('names the NUL in the message too', async () => {
    expect((await send('GET', '/api/v1/signals?rule=%00')).body).toEqual({ error: 'validation_failed', message: `query.rule: ${nul}`, details: [{ field: 'query.rule', rule: nul }] });
  });

  it.each(['2020-13-45', '2021-02-29', '2020-04-31'])('GET /bars?from=%s is a 400: not a calendar date', async (date) => {
    const res = await send('GET', `/api/v1/bars/SPX?from=${date}`);
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: 'query.from', rule: 'must be a real calendar date' }]);
  });

  it('accepts a real leap day', async () => {
    expect((await send('GET', '/api/v1/bars/SPX?from=2000-02-29')).status).toBe(200);
  });

  it('validates an order quantity after the broker rounds it to 6 decimals', async () => {
    const res = await send('POST', '/api/v1/orders', { symbol: 'SPX', side: 'buy', quantity: 1e-7 });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: 'body.quantity', rule: 'must be at least 0.000001 (quantities and prices are kept to 6 decimals)' }]);
  });
});
