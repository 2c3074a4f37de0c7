import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { sampleArenaBoard } from './arena-board';
import { startTestGateway, type TestGateway } from './test-gateway';

// Arena leaderboards over REST against the real gateway: the runner (the trading agent's credential)
// or an admin publishes with PUT, viewers list and read; bad boards get a 400 naming the field.
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));

describe('arena leaderboards over REST', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let viewer: GatewayClient;
  let runner: GatewayClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2', ARENA_MAX_RUNS: '3' } });
    ({ admin, viewer } = await gateway.signedIn());
    runner = gateway.client.withToken(gateway.tokens.tradingAgent);
  }, 120_000);
  afterAll(() => gateway.close());

  it('answers 404 for an unknown run and an empty list before any run', async () => {
    expect(await viewer.listArenaRuns()).toEqual([]);
    expect(await refusal(viewer.getArenaBoard('nope'))).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it("stores what the trading agent's credential publishes, replaces it on republish, and serves it to viewers", async () => {
    const running = sampleArenaBoard({ status: 'running', stepsDone: 10, currentDate: '2000-01-14' });
    expect(await runner.publishArenaBoard(running)).toEqual(running);
    expect(await viewer.getArenaBoard('sample-run')).toEqual(running);
    const finished = sampleArenaBoard();
    await runner.publishArenaBoard(finished);
    expect(await viewer.getArenaBoard('sample-run')).toEqual(finished);
    expect(await viewer.listArenaRuns()).toEqual([
      { runId: 'sample-run', name: finished.name, status: 'finished', mode: 'lockstep', from: '2000-01-03', to: '2020-04-17', currentDate: '2020-04-17', stepsDone: 5105, stepsTotal: 5105, updatedAt: finished.updatedAt },
    ]);
  });

  it('lists runs newest first and keeps only ARENA_MAX_RUNS of them, dropping the least recently updated', async () => {
    for (const runId of ['run-a', 'run-b', 'run-c']) await admin.publishArenaBoard(sampleArenaBoard({ runId }));
    expect((await viewer.listArenaRuns()).map((r) => r.runId)).toEqual(['run-c', 'run-b', 'run-a']);
    expect(await refusal(viewer.getArenaBoard('sample-run'))).toMatchObject({ status: 404 });
    await admin.publishArenaBoard(sampleArenaBoard({ runId: 'run-a', status: 'stopped' }));
    await admin.publishArenaBoard(sampleArenaBoard({ runId: 'run-d' }));
    expect((await viewer.listArenaRuns()).map((r) => r.runId)).toEqual(['run-d', 'run-a', 'run-c']);
  });

  it('refuses a viewer (403), a trader user (403) and no token (401), storing nothing', async () => {
    const board = sampleArenaBoard({ runId: 'forbidden' });
    expect(await refusal(viewer.publishArenaBoard(board))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    await admin.request('POST', '/users', { body: { username: 'trader1', password: 'trader-pass-1', role: 'trader' } });
    const anonymous = new GatewayClient({ baseUrl: gateway.url });
    const trader = anonymous.withToken((await anonymous.login('trader1', 'trader-pass-1')).token);
    expect(await refusal(trader.publishArenaBoard(board))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await refusal(anonymous.publishArenaBoard(board))).toMatchObject({ status: 401 });
    expect(await refusal(viewer.getArenaBoard('forbidden'))).toMatchObject({ status: 404 });
  });

  it("ties publishing to the trading agent's credential, not to a name: a trader named trading-agent and the other services' credentials are refused", async () => {
    await admin.request('POST', '/users', { body: { username: 'trading-agent', password: 'agent-pass-1', role: 'trader' } });
    const anonymous = new GatewayClient({ baseUrl: gateway.url });
    const named = anonymous.withToken((await anonymous.login('trading-agent', 'agent-pass-1')).token);
    expect(await refusal(named.publishArenaBoard(sampleArenaBoard({ runId: 'by-name' })))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    for (const token of [gateway.tokens.scanner, gateway.tokens.mcpTools]) {
      expect(await refusal(anonymous.withToken(token).publishArenaBoard(sampleArenaBoard({ runId: 'by-name' })))).toMatchObject({
        status: 403,
        body: { error: 'forbidden', details: [{ field: 'headers.authorization', rule: 'must be a credential whose scopes include arena' }] },
      });
    }
    expect(await refusal(viewer.getArenaBoard('by-name'))).toMatchObject({ status: 404 });
  });

  it("refuses a user named agent, the paper account of mcp-tools' credential, with a 400 naming body.username", async () => {
    expect(await refusal(admin.request('POST', '/users', { body: { username: 'agent', password: 'agent-pass-1', role: 'trader' } }))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body.username', rule: "must not be agent, the paper account of mcp-tools' credential" }] },
    });
  });

  it('answers 401 to reads without a token', async () => {
    expect(await refusal(new GatewayClient({ baseUrl: gateway.url }).listArenaRuns())).toMatchObject({ status: 401 });
  });

  it.each([
    ['a path id other than body.runId', '/arena/runs/other-run', sampleArenaBoard(), 'body.runId', 'must equal the run id in the path (other-run)'],
    ['a bad path id', '/arena/runs/bad%20id', sampleArenaBoard(), 'params.id', 'must be 1-80 letters, digits, dash or underscore'],
    ['an unknown status', '/arena/runs/sample-run', { ...sampleArenaBoard(), status: 'paused' }, 'body.status', undefined],
    ['a negative starting cash', '/arena/runs/sample-run', { ...sampleArenaBoard(), startingCash: -1 }, 'body.startingCash', undefined],
    ['too many rows', '/arena/runs/sample-run', { ...sampleArenaBoard(), rows: Array.from({ length: 101 }, () => sampleArenaBoard().rows[0]) }, 'body.rows', undefined],
    ['a row without an agent', '/arena/runs/sample-run', { ...sampleArenaBoard(), rows: [{ ...sampleArenaBoard().rows[0], agent: '' }] }, 'body.rows.0.agent', undefined],
    ['an equity curve of more than 500 points', '/arena/runs/sample-run', { ...sampleArenaBoard(), rows: [{ ...sampleArenaBoard().rows[0], equity: Array.from({ length: 501 }, (_, i) => ({ time: i, equity: 1 })) }] }, 'body.rows.0.equity', undefined],
  ])('answers %s with a 400 naming the field', async (_what, path, body, field, rule) => {
    const refused = await refusal(admin.request('PUT', path, { body }));
    expect(refused).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    const details = (refused?.body as { details: { field: string; rule: string }[] }).details;
    expect(details.map((d) => d.field)).toContain(field);
    if (rule) expect(details).toContainEqual({ field, rule });
  });

  it('refuses a body over the size limit with 413, not a 500', async () => {
    const huge = { ...sampleArenaBoard(), name: 'x'.repeat(5 * 1024 * 1024) };
    expect(await refusal(admin.request('PUT', '/arena/runs/sample-run', { body: huge }))).toMatchObject({ status: 413 });
  });
});
