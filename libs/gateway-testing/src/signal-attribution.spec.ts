import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { loadSp500 } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// Signals are attributed and bounded (issue 21, item 7): each records who posted it; only the
// scanner's credential posts under the scanner's rule ids; a signal's values are capped.
const spx = loadSp500();
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));
const scannerRules = "must not be one of the scanner's rule ids (rsi-oversold, golden-cross, volume-spike, breakout-20): only the scanner posts under them";

describe('who posts signals, and how large they are', () => {
  let gateway: TestGateway;
  let alice: GatewayClient;
  let aliceToken: string;
  const signal = (id: string, fields: object = {}) => ({ id, symbol: 'SPX', rule: 'close > open', ruleId: 'alice-up-day', time: spx[100].time, close: 100, values: { rsi: 25 }, ...fields });
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: '2000-06-01' });
    const { admin } = await gateway.signedIn();
    await admin.request('POST', '/users', { body: { username: 'alice', password: 'alice-pass-1', role: 'trader' } });
    aliceToken = (await new GatewayClient({ baseUrl: gateway.url }).login('alice', 'alice-pass-1')).token;
    alice = new GatewayClient({ baseUrl: gateway.url, token: aliceToken });
  }, 120_000);
  afterAll(() => gateway.close());

  it("refuses a trader's signal under a scanner rule id, as rule or as ruleId, with a 403 naming the field", async () => {
    expect(await refusal(alice.postSignal(signal('forged-1', { rule: 'rsi-oversold' })))).toEqual({
      status: 403,
      body: { error: 'forbidden', message: expect.stringContaining('rsi-oversold'), details: [{ field: 'body.rule', rule: scannerRules }] },
    });
    expect(await refusal(alice.postSignal(signal('forged-2', { ruleId: 'golden-cross' })))).toMatchObject({ status: 403, body: { details: [{ field: 'body.ruleId', rule: scannerRules }] } });
    expect(await refusal(alice.postSignals([signal('ok-1'), signal('forged-3', { ruleId: 'breakout-20' })]))).toMatchObject({
      status: 403,
      body: { details: [{ field: 'body.signals.1.ruleId', rule: scannerRules }] },
    });
    expect(await gateway.client.searchSignals({ rule: 'rsi-oversold' })).toEqual([]);
    expect(await gateway.client.searchSignals({ rule: 'alice-up-day' })).toEqual([]);
  });

  it("refuses a trader's scanner-rule signals carried by a lockstep acknowledgement over the WebSocket", async () => {
    const { consumer } = await alice.registerClockConsumer('alice-bot');
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${aliceToken}`);
    const errors: { status?: number; message?: string }[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'error') errors.push(message.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const { time } = await alice.getClock();
    socket.send(JSON.stringify({ type: 'ack', consumer: consumer.id, time, signals: [signal('forged-4', { ruleId: 'volume-spike' })] }));
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ status: 403, message: expect.stringContaining('volume-spike') });
    expect(await gateway.client.searchSignals({ rule: 'volume-spike' })).toEqual([]);
    socket.close();
    await alice.deregisterClockConsumer(consumer.id);
  });

  it('records who posted each signal: the scanner under its rule ids, a trader under its own', async () => {
    expect(await gateway.client.postSignal(signal('scanner-1', { rule: 'rsi(14) < 30', ruleId: 'rsi-oversold' }))).toMatchObject({ postedBy: 'agent' });
    expect(await alice.postSignal(signal('alice-1'))).toMatchObject({ postedBy: 'alice' });
    expect((await gateway.client.searchSignals({ rule: 'rsi-oversold' })).map((s) => [s.id, s.postedBy])).toEqual([['scanner-1', 'agent']]);
    expect((await gateway.client.searchSignals({ rule: 'alice-up-day' })).map((s) => [s.id, s.postedBy])).toEqual([['alice-1', 'alice']]);
    // Who posted is the gateway's to record, not the poster's to claim.
    expect(await refusal(alice.request('POST', '/signals', { body: { ...signal('alice-2'), postedBy: 'agent' } }))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body', rule: 'unknown field(s): postedBy' }] },
    });
  });

  it.each([
    ['33 keys', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])), 'must have at most 32 keys'],
    ['over 4 KB', Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`${'k'.repeat(600)}${i}`, i])), 'must be at most 4096 bytes as JSON'],
  ])('refuses values of %s with a 400 naming body.values', async (_what, values, rule) => {
    expect(await refusal(alice.postSignal(signal('big', { values })))).toEqual({
      status: 400,
      body: { error: 'validation_failed', message: `body.values: ${rule}`, details: [{ field: 'body.values', rule }] },
    });
  });
});
