import type { GatewayError } from '@tradeyard/gateway-contract';
import WebSocket from 'ws';
import { sampleArenaBoard } from './arena-board';
import { startTestGateway, type TestGateway } from './test-gateway';

// Every text field is valid text: a lone UTF-16 surrogate (JSON "\ud800" without its partner) is
// a 400 naming the field, never a 500 from PostgreSQL, which refuses it. JSON.stringify keeps a lone
// surrogate as the escape \ud800, so each body below reaches the gateway exactly as a client sent it.
const LONE = '\ud800';
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));

const signal = { id: 'text-1', symbol: 'SPX', rule: 'close > 1', time: 946_857_600_000, close: 1455.22, values: { close: 1455.22 } };
const board = sampleArenaBoard();

describe('lone surrogates in text fields', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
  }, 120_000);
  afterAll(() => gateway.close());

  it.each([
    ['POST', '/signals', 'body.rule', { ...signal, rule: `close > 1 ${LONE}` }],
    ['POST', '/signals', 'body.id', { ...signal, id: `a${LONE}` }],
    ['POST', '/signals/batch', 'body.signals.0.id', { signals: [{ ...signal, id: `a${LONE}` }] }],
    ['POST', '/signals/batch', 'body.signals.0.rule', { signals: [{ ...signal, rule: LONE }] }],
    ['POST', '/signals/batch', 'body.signals.0.values.\\ud800', { signals: [{ ...signal, values: { [LONE]: 1 } }] }],
    ['PUT', '/arena/runs/sample-run', 'body.name', { ...board, name: `run ${LONE}` }],
    ['PUT', '/arena/runs/sample-run', 'body.rows.0.agent', { ...board, rows: [{ ...board.rows[0], agent: `agent${LONE}` }, ...board.rows.slice(1)] }],
    ['PUT', '/arena/runs/sample-run', 'body.rankedBy', { ...board, rankedBy: LONE }],
    ['POST', '/auth/login', 'body.username', { username: `ad${LONE}min`, password: 'x' }],
  ] as const)('%s %s with a lone surrogate in %s is a 400 naming it', async (method, path, field, body) => {
    // Each route with the service credential that may call it: the scanner posts signals, the trading agent publishes boards.
    const client = path.startsWith('/arena') ? gateway.client.withToken(gateway.tokens.tradingAgent) : gateway.scanner;
    const refused = await refusal(client.request(method, path, { body }));
    expect(refused).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(refused?.body.details?.[0]).toEqual({ field, rule: expect.stringContaining('lone UTF-16 surrogate') });
  });

  // No request hook sees a WebSocket message: the contract's schema of the acknowledgement refuses it.
  it('refuses a lockstep acknowledgement over the socket whose signals hold a lone surrogate, naming the field', async () => {
    const { consumer, clock } = await gateway.scanner.registerClockConsumer('text-check');
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.scanner}`);
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      const answer = new Promise<{ channel: string; data: { status: number; message: string } }>((resolve) => socket.once('message', (raw) => resolve(JSON.parse(String(raw)))));
      socket.send(JSON.stringify({ type: 'ack', consumer: consumer.id, time: clock.time, signals: [{ ...signal, id: 'text-ws', rule: LONE }] }));
      expect(await answer).toEqual({
        channel: 'error',
        data: { status: 400, message: 'signals.0.rule: must be valid text: no lone UTF-16 surrogate (found U+D800)', consumer: consumer.id, time: clock.time },
      });
    } finally {
      socket.close();
    }
  });

  it('still stores text whose surrogates are paired (an emoji)', async () => {
    const stored = await gateway.scanner.request('POST', '/signals', { body: { ...signal, id: 'text-emoji', rule: 'close > 1 📈', values: { '📈': 1 } } });
    expect(stored).toMatchObject({ id: 'text-emoji', rule: 'close > 1 📈', values: { '📈': 1 } });
  });
});
