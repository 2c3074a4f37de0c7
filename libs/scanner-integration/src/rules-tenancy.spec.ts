// Issue 21 item 6: scanner rules are data, a rule that throws is disabled, and traders keep their own rules.
import { createSigner } from 'fast-jwt';
import { parseConfig } from '@tradeyard/service-kit';
import { GatewayClient } from '@tradeyard/gateway-contract';
import { startTestGateway } from '@tradeyard/gateway-testing';
import { CompiledRule, type RuleBar } from '@tradeyard/scan-rules';
import { createScanner, scannerConfigSchema } from '@tradeyard/scanner-core';

const scannerToken = 'scanner-token-0123456789';
const jwtSecret = 'jwt-secret-0123456789abcdef';
// A very slow replay: these tests feed the engine themselves.
const newScanner = () =>
  createScanner({
    ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', SCANNER_TOKEN: scannerToken, JWT_SECRET: jwtSecret, REPLAY_BARS_PER_SECOND: '0.001' }),
    PORT: 0,
  });
// A symbol no replay dataset has, so the scanner's own (slow) replay never interleaves with these bars.
const bar = (close: number, time: number) => ({ symbol: 'ZZTEST', time, open: close, high: close, low: close, close, volume: 1 });
jest.setTimeout(120_000);

describe('a rule from any trader cannot crash the scanner', () => {
  const scanner = newScanner();
  // Any caller allowed to write a rule: here an admin's login token, signed with the secret the scanner shares.
  const service = { authorization: `Bearer ${createSigner({ key: jwtSecret })({ username: 'admin', role: 'admin', accountId: 'admin' })}` };
  afterAll(() => scanner.stop());
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['close > __proto__', "column 9: unknown name '__proto__': expected open, high, low, close, volume or a function call"],
    ['close[100000000000000000000] > 0', "column 7: expected a bars-ago offset from 0 to 1000, found '100000000000000000000'"],
  ])('refuses %s with a 400 naming the rule and body.expression, and keeps scanning', async (expression, rule) => {
    const res = await scanner.app.inject({ method: 'POST', url: '/api/v1/rules', headers: service, payload: { id: 'hostile', expression } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'bad_rule', message: `rule hostile: expression ${rule}`, details: [{ field: 'body.expression', rule }] });
    scanner.engine.onBar(bar(100, 1));
    expect(scanner.engine.getRule('hostile')).toBeUndefined();
  });

  it('disables a rule that throws on a bar, reports it, and the other rules keep scanning', async () => {
    const instantiate = CompiledRule.prototype.instantiate;
    // No rule of the language throws any more; this stands for the next defect that would.
    jest.spyOn(CompiledRule.prototype, 'instantiate').mockImplementation(function (this: CompiledRule) {
      const state = instantiate.call(this);
      if (this.source === 'close > 13') state.update = (b: RuleBar) => { if (b.close > 150) throw new TypeError('boom'); return false; };
      return state;
    });
    for (const id of ['rsi-oversold', 'golden-cross', 'volume-spike', 'breakout-20']) scanner.engine.deleteRule(id);
    scanner.engine.setRule({ id: 'throws', expression: 'close > 13' });
    scanner.engine.setRule({ id: 'healthy', expression: 'close > 200' });
    scanner.engine.onBar(bar(100, 10));
    scanner.engine.onBar(bar(160, 11)); // 'throws' throws here
    scanner.engine.onBar(bar(100, 12));
    scanner.engine.onBar(bar(250, 13)); // 'healthy' fires here
    const rules = (await scanner.app.inject({ method: 'GET', url: '/api/v1/rules' })).json();
    expect(rules).toEqual([
      { id: 'throws', expression: 'close > 13', owner: null, status: 'disabled', disabled: { error: 'TypeError: boom', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), symbol: 'ZZTEST', barTime: 11 } },
      { id: 'healthy', expression: 'close > 200', owner: null, status: 'active' },
    ]);
    expect((await scanner.app.inject({ method: 'GET', url: '/api/v1/signals?symbol=ZZTEST' })).json().map((s: { ruleId: string; time: number }) => [s.ruleId, s.time])).toEqual([['healthy', 13]]);
    expect((await scanner.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    expect((await scanner.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^scanner_rules_disabled\{service="scanner"\} 1$/m);
    // Changing the rule enables it again.
    const changed = await scanner.app.inject({ method: 'PUT', url: '/api/v1/rules/throws', headers: service, payload: { expression: 'close > 14' } });
    expect(changed.json()).toEqual({ id: 'throws', expression: 'close > 14', owner: null, status: 'active' });
  });
});

describe('traders keep their own rules; the shared rules are an admin\'s', () => {
  const scanner = newScanner();
  const tokens: Record<string, string> = {};
  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const call = (who: string, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => scanner.app.inject({ method, url, headers: as(who), payload });

  beforeAll(async () => {
    // Login tokens from the real gateway, sharing the scanner's JWT secret.
    const gateway = await startTestGateway({ env: { JWT_SECRET: jwtSecret } });
    try {
      const anonymous = new GatewayClient({ baseUrl: gateway.url });
      tokens.admin = (await anonymous.login(gateway.admin.username, gateway.admin.password)).token;
      for (const trader of ['alice', 'bob']) {
        await anonymous.withToken(tokens.admin).request('POST', '/users', { body: { username: trader, password: `${trader}-password`, role: 'trader' } });
        tokens[trader] = (await anonymous.login(trader, `${trader}-password`)).token;
      }
      tokens.service = scannerToken;
    } finally {
      await gateway.close();
    }
  });
  afterAll(() => scanner.stop());

  it('records the owner from the caller and lists it', async () => {
    const created = await call('alice', 'POST', '/api/v1/rules', { id: 'alice-dip', expression: 'rsi(14) < 25' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'alice-dip', expression: 'rsi(14) < 25', owner: 'alice', status: 'active' });
    expect((await call('admin', 'POST', '/api/v1/rules', { id: 'house', expression: 'close > 1' })).json().owner).toBeNull();
    // The scanner's own token is no admin and names no user to own a rule.
    expect((await call('service', 'POST', '/api/v1/rules', { id: 'service-made', expression: 'close > 1' })).statusCode).toBe(403);
    const owners = Object.fromEntries((await scanner.app.inject({ method: 'GET', url: '/api/v1/rules' })).json().map((r: { id: string; owner: string | null }) => [r.id, r.owner]));
    expect(owners).toEqual({ 'rsi-oversold': null, 'golden-cross': null, 'volume-spike': null, 'breakout-20': null, 'alice-dip': 'alice', house: null });
  });

  it("refuses a trader changing another trader's rule with 403 naming the owner", async () => {
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await call('bob', method, '/api/v1/rules/alice-dip', method === 'PUT' ? { expression: 'close > 1' } : undefined);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: 'forbidden', message: 'rule alice-dip belongs to alice: only its owner or an admin may change it' });
    }
    expect(scanner.engine.getRule('alice-dip')?.expression).toBe('rsi(14) < 25');
  });

  it('refuses a trader changing or deleting a shared rule with 403', async () => {
    for (const id of ['rsi-oversold', 'house']) {
      const put = await call('alice', 'PUT', `/api/v1/rules/${id}`, { expression: 'close > 1' });
      expect(put.statusCode).toBe(403);
      expect(put.json().message).toBe(`rule ${id} is a shared rule: changing it needs role admin`);
      expect((await call('alice', 'DELETE', `/api/v1/rules/${id}`)).statusCode).toBe(403);
    }
    expect(scanner.engine.getRule('rsi-oversold')?.expression).toBe('rsi(14) < 30');
  });

  it("lets the owner change and delete their rule, and an admin any rule; not the scanner's own token", async () => {
    expect((await call('alice', 'PUT', '/api/v1/rules/alice-dip', { expression: 'rsi(14) < 20' })).json()).toEqual({ id: 'alice-dip', expression: 'rsi(14) < 20', owner: 'alice', status: 'active' });
    // An admin's change keeps the owner.
    expect((await call('admin', 'PUT', '/api/v1/rules/alice-dip', { expression: 'rsi(14) < 15' })).json().owner).toBe('alice');
    expect((await call('alice', 'DELETE', '/api/v1/rules/alice-dip')).statusCode).toBe(204);
    expect((await call('admin', 'PUT', '/api/v1/rules/rsi-oversold', { expression: 'rsi(14) < 25' })).statusCode).toBe(200);
    expect((await call('service', 'DELETE', '/api/v1/rules/house')).statusCode).toBe(403);
    expect((await call('admin', 'DELETE', '/api/v1/rules/house')).statusCode).toBe(204);
    expect((await call('admin', 'DELETE', '/api/v1/rules/golden-cross')).statusCode).toBe(204);
    expect(scanner.engine.getRule('golden-cross')).toBeUndefined();
  });

  it('keeps a trader to 50 rules of their own', async () => {
    for (let i = 0; i < 50; i++) expect((await call('bob', 'POST', '/api/v1/rules', { id: `bob-${i}`, expression: 'close > 1' })).statusCode).toBe(201);
    const refused = await call('bob', 'POST', '/api/v1/rules', { id: 'bob-50', expression: 'close > 1' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ error: 'conflict', message: 'bob has 50 rules; a trader keeps at most 50 rules: change or delete one', details: [{ field: 'body', rule: 'a trader keeps at most 50 rules' }] });
    expect((await call('alice', 'POST', '/api/v1/rules', { id: 'alice-2', expression: 'close > 1' })).statusCode).toBe(201);
  });
});
