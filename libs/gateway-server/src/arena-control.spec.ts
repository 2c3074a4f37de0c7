import { openDatabase } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gatewayConfigSchema } from './config';
import { createGateway, type Gateway } from './gateway';
import { secrets } from './__fixtures__/secrets';

// The gateway's forward of the arena page's start and stop to the trading agent, against a trading
// agent that misbehaves in each way the gateway must bound: down, silent, too talkative, refusing
// the admin's token, failing. (libs/arena-integration's page spec drives the real trading agent.)
type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

describe('arena start and stop forwarded to the trading agent', () => {
  let gateway: Gateway;
  let url: string;
  let upstream: Server;
  let handle: Handler;
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];
  let adminToken: string;
  /** A JSON answer of the gateway: a login's or token's answer has a token, an error its fields. */
  const json = async (res: Response) => (await res.json()) as { token: string } & Record<string, unknown>;
  const login = async (username: string, password: string) =>
    (await json(await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) }))).token;
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await json(res) };
  };
  const answerJson = (status: number, data: unknown): Handler => (_request, _body, response) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization, body });
        handle(request, body, response);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const agentUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const config = parseConfig(gatewayConfigSchema, { HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...secrets, SYNTHETIC_SYMBOLS: '1', TRADING_AGENT_URL: agentUrl, TRADING_AGENT_TIMEOUT_MS: '2000' });
    gateway = await createGateway({ ...config, PORT: 0 }, { database: await openDatabase({}) });
    url = await gateway.start();
    adminToken = await login('admin', secrets.ADMIN_PASSWORD);
    expect((await call('POST', '/users', adminToken, { username: 'watcher', password: 'watcher-pass-1', role: 'viewer' })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it("forwards the admin's own login token and the config, and answers the run's id at the gateway's board path", async () => {
    handle = answerJson(202, { id: 'run-1', status: 'running', run: '/api/v1/arena/runs/run-1' });
    const config = { name: 'from the page', market: { symbols: ['SPX'], from: '2008-01-02', to: '2008-12-31' }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] };
    expect(await call('POST', '/arena/runs', adminToken, config)).toMatchObject({ status: 202, body: { id: 'run-1', status: 'running', run: '/api/v1/arena/runs/run-1' } });
    expect(seen).toEqual([{ method: 'POST', url: '/api/v1/arena/runs', authorization: `Bearer ${adminToken}`, body: JSON.stringify(config) }]);

    handle = answerJson(200, { id: 'run-1', status: 'stopped', stepsDone: 3, stepsTotal: 252, currentDate: '2008-01-04', outDir: '/data/arena/run-1', board: null });
    expect(await call('DELETE', '/arena/runs/run-1', adminToken)).toEqual({
      status: 200, retryAfter: null, body: { id: 'run-1', status: 'stopped', stepsDone: 3, stepsTotal: 252, currentDate: '2008-01-04' },
    });
    handle = answerJson(200, { type: 'object', properties: { name: { type: 'string' } } });
    expect(await call('GET', '/arena/config-schema', adminToken)).toMatchObject({ status: 200, body: { type: 'object', properties: { name: { type: 'string' } } } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v1/arena/runs', 'DELETE /api/v1/arena/runs/run-1', 'GET /api/v1/arena/config-schema']);
  });

  it('passes the trading agent’s 400 through as it is: the field it names reaches the page', async () => {
    const refusal = { error: 'validation_failed', message: 'body.agents.0.strategy.fast: fast must be less than slow', details: [{ field: 'body.agents.0.strategy.fast', rule: 'fast must be less than slow' }] };
    handle = answerJson(400, refusal);
    expect(await call('POST', '/arena/runs', adminToken, { name: 'bad' })).toMatchObject({ status: 400, body: refusal });
    handle = answerJson(409, { error: 'conflict', message: 'arena run r is running on the market clock; stop it first' });
    expect(await call('POST', '/arena/runs', adminToken, { name: 'second' })).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('refuses a viewer, an admin’s API token, a body that is not an object and one over 256 KB, forwarding none of them', async () => {
    const viewer = await login('watcher', 'watcher-pass-1');
    for (const [method, path] of [['POST', '/arena/runs'], ['DELETE', '/arena/runs/run-1'], ['GET', '/arena/config-schema']]) {
      expect((await call(method, path, viewer, method === 'POST' ? {} : undefined)).status).toBe(403);
    }
    const { token: apiToken } = (await call('POST', '/tokens', adminToken, { label: 'script' })).body;
    expect(await call('POST', '/arena/runs', apiToken, { name: 'x' })).toMatchObject({ status: 403, body: { details: [{ field: 'headers.authorization', rule: "must be an admin's login token" }] } });
    expect(await call('POST', '/arena/runs', adminToken, ['not', 'a', 'config'])).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect((await call('POST', '/arena/runs', adminToken, { name: 'x'.repeat(300 * 1024) })).status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('bounds the trading agent: silent is a 504, an answer over 8 MB or a failure a 502, a refused token a 502 naming JWT_SECRET', async () => {
    handle = () => undefined; // never answers
    expect(await call('DELETE', '/arena/runs/run-1', adminToken)).toMatchObject({ status: 504, body: { error: 'timeout', message: 'the trading agent did not answer DELETE /api/v1/arena/runs/run-1 within 2 s' } });
    handle = (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"type":"object","padding":"${'x'.repeat(9 * 1024 * 1024)}"}`);
    };
    expect(await call('GET', '/arena/config-schema', adminToken)).toMatchObject({ status: 502, body: { message: "the trading agent's answer exceeds 8 MB" } });
    handle = answerJson(500, { error: 'internal', message: 'internal error; see the trading-agent log' });
    expect(await call('POST', '/arena/runs', adminToken, { name: 'x' })).toMatchObject({ status: 502, body: { message: 'the trading agent answered 500: internal error; see the trading-agent log' } });
    handle = answerJson(401, { error: 'unauthorized', message: 'invalid token' });
    expect(await call('POST', '/arena/runs', adminToken, { name: 'x' })).toMatchObject({ status: 502, body: { message: expect.stringContaining("does it have the gateway's JWT_SECRET?") } });
    handle = answerJson(202, { id: 'not a run id!', status: 'running' });
    expect(await call('POST', '/arena/runs', adminToken, { name: 'x' })).toMatchObject({ status: 502, body: { message: "the trading agent's answer to POST runs is not what its API promises" } });
  });

  it('answers 503 with Retry-After while the trading agent is down', async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    const down = await call('POST', '/arena/runs', adminToken, { name: 'x' });
    expect(down).toMatchObject({ status: 503, retryAfter: '5', body: { error: 'unavailable', message: expect.stringMatching(/^trading agent unavailable: cannot reach it at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); retry in 5 s$/) } });
  });
});
