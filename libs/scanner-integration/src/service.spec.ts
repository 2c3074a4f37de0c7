import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import { parseConfig } from '@tradeyard/service-kit';
import { RSI } from 'technicalindicators';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { Rsi } from '@tradeyard/indicators';
import { GatewayClient } from '@tradeyard/gateway-contract';
import { startTestGateway } from '@tradeyard/gateway-testing';
import { createScanner, defaultRules, scannerConfigSchema } from '@tradeyard/scanner-core';
import { readSseSignals } from './sse';

// Port 0 (any free port) is not a valid PORT variable, so tests set it after parsing.
const scannerToken = 'scanner-token-0123456789';
const jwtSecret = 'jwt-secret-0123456789abcdef';
const config = (env: Record<string, string> = {}) => ({
  ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', SCANNER_TOKEN: scannerToken, JWT_SECRET: jwtSecret, ...env }),
  PORT: 0,
});
// The shared rules are an admin's: a login token of the gateway's admin, signed with the secret it shares.
const writer = { authorization: `Bearer ${createSigner({ key: jwtSecret })({ username: 'admin', role: 'admin', accountId: 'admin' })}` };

describe('scanner HTTP API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scanner-'));
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify({ rules: [{ id: 'oversold', expression: 'rsi(14) < 30' }], watchlist: ['SPX'] }));
  // A very slow replay: these tests only exercise the API.
  const scanner = createScanner(config({ SCANNER_RULES_FILE: rulesFile, REPLAY_BARS_PER_SECOND: '0.001' }));
  afterAll(() => scanner.stop());

  it("takes rule changes only with a gateway JWT of role trader or admin; the scanner's own token names no user to own one", async () => {
    // Tokens from the real gateway's login, sharing the scanner's JWT secret.
    const gateway = await startTestGateway({ env: { JWT_SECRET: jwtSecret } });
    const anonymousClient = new GatewayClient({ baseUrl: gateway.url });
    const tokens: Record<string, string> = { admin: (await anonymousClient.login(gateway.admin.username, gateway.admin.password)).token };
    const admin = anonymousClient.withToken(tokens.admin);
    for (const role of ['viewer', 'trader'] as const) {
      await admin.request('POST', '/users', { body: { username: role, password: `${role}-password`, role } });
      tokens[role] = (await anonymousClient.login(role, `${role}-password`)).token;
    }
    await gateway.close();
    const bearer = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });
    const create = (headers: Record<string, string>, id: string) => scanner.app.inject({ method: 'POST', url: '/api/v1/rules', headers, payload: { id, expression: 'close > 1' } });
    const anonymous = await create({}, 'anon');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().message).toMatch(/^missing bearer token/);
    expect((await create({ authorization: 'Bearer forged-token' }, 'forged')).statusCode).toBe(401);
    const viewer = await create(bearer('viewer'), 'viewer');
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().message).toBe('requires role trader or admin; this token has role viewer');
    expect((await create(bearer('trader'), 'by-trader')).statusCode).toBe(201);
    expect((await create({ authorization: `Bearer ${scannerToken}` }, 'by-service')).statusCode).toBe(403);
    expect((await scanner.app.inject({ method: 'PUT', url: '/api/v1/rules/by-trader', payload: { expression: 'close > 2' } })).statusCode).toBe(401);
    expect((await scanner.app.inject({ method: 'DELETE', url: '/api/v1/rules/by-trader' })).statusCode).toBe(401);
    expect((await scanner.app.inject({ method: 'DELETE', url: '/api/v1/rules/by-trader', headers: bearer('admin') })).statusCode).toBe(204);
    expect((await scanner.app.inject({ method: 'GET', url: '/api/v1/rules' })).statusCode).toBe(200);
  }, 120_000);

  it('serves OpenAPI at /openapi.json listing its routes with their request schemas', async () => {
    const res = await scanner.app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const { paths } = res.json();
    expect(Object.keys(paths).sort()).toEqual(
      ['/api/v1/indicators/{symbol}/rsi', '/api/v1/rules', '/api/v1/rules/{id}', '/api/v1/signals', '/api/v1/signals/stream', '/api/v1/watchlist', '/health', '/metrics', '/ready'],
    );
    expect(paths['/api/v1/watchlist'].put.requestBody.content['application/json'].schema).toMatchObject({ required: ['symbols'], properties: { symbols: { maxItems: 2000 } } });
    expect(paths['/api/v1/rules'].post.requestBody.content['application/json'].schema).toMatchObject({ required: ['id', 'expression'], properties: { expression: { maxLength: 500 } } });
    expect(paths['/api/v1/rules'].post.security).toEqual([{ bearer: [] }]);
    expect(paths['/api/v1/signals'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['symbol', 'from', 'to', 'limit']);
    expect(paths['/api/v1/rules/{id}'].put.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
  });

  it('names an unknown field of a rule body', async () => {
    const res = await scanner.app.inject({ method: 'PUT', url: '/api/v1/rules/oversold', headers: writer, payload: { expression: 'close > 1', colour: 'red' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([{ field: 'body', rule: 'unknown field(s): colour' }]);
  });

  it('refuses a NUL byte in a rule id or a query with a 400 naming the field', async () => {
    const res = await scanner.app.inject({ method: 'POST', url: '/api/v1/rules', headers: writer, payload: { id: 'a\u0000b', expression: 'close > 1' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'validation_failed', message: 'body.id: must not contain control characters (found U+0000)', details: [{ field: 'body.id', rule: 'must not contain control characters (found U+0000)' }] });
    expect((await scanner.app.inject({ method: 'GET', url: '/api/v1/signals?symbol=%00' })).json().details).toEqual([{ field: 'query.symbol', rule: 'must not contain control characters (found U+0000)' }]);
  });

  it('answers malformed JSON, an unknown route and bad input in the platform error shape', async () => {
    const malformed = await scanner.app.inject({ method: 'POST', url: '/api/v1/rules', headers: { ...writer, 'content-type': 'application/json' }, payload: '{"id": "x",' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
    const unknown = await scanner.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'no route GET /api/v1/nope' });
    const invalid = await scanner.app.inject({ method: 'GET', url: '/api/v1/signals?limit=0' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ error: 'validation_failed', message: 'query.limit: Too small: expected number to be >=1', details: [{ field: 'query.limit', rule: 'Too small: expected number to be >=1' }] });
  });

  it('loads rules from SCANNER_RULES_FILE and manages them over HTTP', async () => {
    expect((await scanner.app.inject({ method: 'GET', url: '/api/v1/rules' })).json()).toEqual([{ id: 'oversold', expression: 'rsi(14) < 30', owner: null, status: 'active' }]);
    const created = await scanner.app.inject({ method: 'POST', headers: writer, url: '/api/v1/rules', payload: { id: 'golden', expression: 'cross_above(sma(close, 50), sma(close, 200))' } });
    expect(created.statusCode).toBe(201);
    expect((await scanner.app.inject({ method: 'POST', headers: writer, url: '/api/v1/rules', payload: { id: 'golden', expression: 'close > 1' } })).statusCode).toBe(409);
    const updated = await scanner.app.inject({ method: 'PUT', headers: writer, url: '/api/v1/rules/golden', payload: { expression: 'close > highest(high, 20)[1]' } });
    expect(updated.json()).toEqual({ id: 'golden', expression: 'close > highest(high, 20)[1]', owner: null, status: 'active' });
    expect((await scanner.app.inject({ method: 'DELETE', headers: writer, url: '/api/v1/rules/golden' })).statusCode).toBe(204);
    expect((await scanner.app.inject({ method: 'DELETE', headers: writer, url: '/api/v1/rules/golden' })).statusCode).toBe(404);
    expect((await scanner.app.inject({ method: 'GET', url: '/api/v1/rules' })).json()).toHaveLength(1);
  });

  it('rejects a bad expression with 400 naming the column, and bad bodies naming the field', async () => {
    const res = await scanner.app.inject({ method: 'POST', headers: writer, url: '/api/v1/rules', payload: { id: 'broken', expression: 'sma(close, 50 > 3' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_rule',
      message: "rule broken: expression column 15: expected ')' after arguments of sma, found '>'",
      details: [{ field: 'body.expression', rule: "column 15: expected ')' after arguments of sma, found '>'" }],
    });
    const badId = await scanner.app.inject({ method: 'POST', headers: writer, url: '/api/v1/rules', payload: { id: 'Bad Id', expression: 'close > 1' } });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().details[0].field).toBe('body.id');
    const badQuery = await scanner.app.inject({ method: 'GET', url: '/api/v1/signals?limit=0' });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().message).toMatch(/^query.limit: /);
  });

  it('scans bars fed to the engine and filters signals by symbol and time', async () => {
    for (const bar of loadSp500()) scanner.engine.onBar(bar);
    scanner.engine.onBar({ symbol: 'AAPL', time: 0, open: 1, high: 1, low: 1, close: 1, volume: 0 });
    const rsi = new Rsi(14);
    let previous = false;
    const expected: string[] = [];
    for (const bar of loadSp500()) {
      const now = (rsi.update(bar.close) ?? 100) < 30;
      if (now && !previous) expected.push(isoDate(bar.time));
      previous = now;
    }
    const all = (await scanner.app.inject({ method: 'GET', url: '/api/v1/signals?limit=1000' })).json();
    expect(all.map((s: { time: number }) => isoDate(s.time))).toEqual(expected);
    const in2008 = (await scanner.app.inject({ method: 'GET', url: `/api/v1/signals?symbol=SPX&from=${Date.UTC(2008, 0, 1)}&to=${Date.UTC(2008, 11, 31)}` })).json();
    expect(in2008.length).toBeGreaterThan(0);
    expect(in2008.every((s: { time: number }) => isoDate(s.time).startsWith('2008'))).toBe(true);
    expect(in2008[0]).toMatchObject({ symbol: 'SPX', rule: 'rsi(14) < 30', values: { 'rsi(14)': expect.any(Number) } });
    expect(in2008[0].id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('serves the RSI series of the bars it scanned, matching technicalindicators', async () => {
    // The previous test fed the whole S&P 500 history to the engine.
    const res = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/SPX/rsi?limit=5' });
    const reference = RSI.calculate({ period: 14, values: loadSp500().map((b) => b.close) }).slice(-5);
    // technicalindicators rounds RSI to 2 decimals.
    expect(res.json().values.map((v: { value: number }) => Math.round(v.value * 100) / 100)).toEqual(reference);
  });

  it('names the file and the rule when SCANNER_RULES_FILE is bad', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ id: 'x', expression: 'rsi(14) <' }] }));
    expect(() => createScanner(config({ SCANNER_RULES_FILE: bad }))).toThrow(`SCANNER_RULES_FILE ${bad}: rules.0.expression column 10: expected a number`);
  });
});

describe('signal streams are bounded', () => {
  it('serves SIGNAL_STREAMS_MAX streams at once and answers the next with 503 and Retry-After until one closes', async () => {
    const scanner = createScanner(config({ SIGNAL_STREAMS_MAX: '2', REPLAY_BARS_PER_SECOND: '0.001' }));
    const address = await scanner.start();
    const open = () => {
      const controller = new AbortController();
      return fetch(`${address}/api/v1/signals/stream`, { signal: controller.signal }).then((res) => ({ res, close: () => controller.abort() }));
    };
    try {
      const [first, second] = [await open(), await open()];
      expect([first.res.status, second.res.status]).toEqual([200, 200]);
      const third = await open();
      expect(third.res.status).toBe(503);
      expect(third.res.headers.get('retry-after')).toBe('5');
      expect(((await third.res.json()) as { message: string }).message).toMatch(/SIGNAL_STREAMS_MAX/);
      first.close();
      // Once the server saw the first one go, a new stream is served again.
      let again = await open();
      while (again.res.status === 503) again = await open();
      expect(again.res.status).toBe(200);
      second.close();
      again.close();
    } finally {
      await scanner.stop();
    }
  });
});

describe('scanner alone on its replay feed', () => {
  it('streams signals to a real SSE client as the replay runs', async () => {
    const scanner = createScanner(config({ REPLAY_DATASET: 'sp500', REPLAY_BARS_PER_SECOND: '2000' }));
    expect(scanner.engine.listRules().map((r) => r.id)).toEqual(defaultRules.map((r) => r.id));
    defaultRules.forEach((rule) => scanner.engine.deleteRule(rule.id)); // this test watches one rule of its own
    const address = await scanner.start();
    try {
      const signals = await readSseSignals(`${address}/api/v1/signals/stream`, 2, async () => {
        // Add the rule once the stream is open, so the client sees every signal it fires.
        const res = await fetch(`${address}/api/v1/rules`, { method: 'POST', headers: { 'content-type': 'application/json', ...writer }, body: JSON.stringify({ id: 'breakout', expression: 'close > highest(high, 20)[1]' }) });
        expect(res.status).toBe(201);
      });
      expect(signals.map((s) => s.rule)).toEqual(['close > highest(high, 20)[1]', 'close > highest(high, 20)[1]']);
      expect(signals[1].time).toBeGreaterThan(signals[0].time);
      const stored = (await (await fetch(`${address}/api/v1/signals?symbol=SPX`)).json()) as { id: string }[];
      expect(stored.map((s) => s.id)).toEqual(expect.arrayContaining(signals.map((s) => s.id)));
    } finally {
      await scanner.stop();
    }
  });
});
