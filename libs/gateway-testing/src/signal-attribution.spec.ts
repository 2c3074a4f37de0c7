import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { loadSp500 } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// Signals are attributed and bounded (issue 21, item 7): each records who posted it; only the
// scanner's credential posts under the scanner's rule ids; a signal's id is unique per poster, so
// no one takes an id another will post under; a signal's values are capped.
const spx = loadSp500();
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));
const scannerRules = "must not be one of the scanner's rule ids (rsi-oversold, golden-cross, volume-spike, breakout-20): only the scanner posts under them";

describe('who posts signals, and how large they are', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let alice: GatewayClient;
  let bob: GatewayClient;
  const signal = (id: string, fields: object = {}) => ({ id, symbol: 'SPX', rule: 'close > open', ruleId: 'alice-up-day', time: spx[100].time, close: 100, values: { rsi: 25 }, ...fields });
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: '2000-06-01' });
    ({ admin } = await gateway.signedIn());
    const trader = async (username: string) => {
      await admin.request('POST', '/users', { body: { username, password: `${username}-pass-1`, role: 'trader' } });
      return new GatewayClient({ baseUrl: gateway.url, token: (await new GatewayClient({ baseUrl: gateway.url }).login(username, `${username}-pass-1`)).token });
    };
    alice = await trader('alice');
    bob = await trader('bob');
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
    expect(await alice.searchSignals({ rule: 'rsi-oversold' })).toEqual([]);
    expect(await alice.searchSignals({ rule: 'alice-up-day' })).toEqual([]);
  });

  it("refuses scanner-rule signals carried by another credential's lockstep acknowledgement over the WebSocket (an admin's)", async () => {
    const { consumer } = await admin.registerClockConsumer('admin-bot');
    const adminToken = (await new GatewayClient({ baseUrl: gateway.url }).login(gateway.admin.username, gateway.admin.password)).token;
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${adminToken}`);
    const errors: { status?: number; message?: string }[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'error') errors.push(message.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const { time } = await admin.getClock();
    socket.send(JSON.stringify({ type: 'ack', consumer: consumer.id, time, signals: [signal('forged-4', { ruleId: 'volume-spike' })] }));
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ status: 403, message: expect.stringContaining('volume-spike') });
    expect(await alice.searchSignals({ rule: 'volume-spike' })).toEqual([]);
    socket.close();
    await admin.deregisterClockConsumer(consumer.id);
  });

  it('records who posted each signal: the scanner under its rule ids, a trader under its own', async () => {
    expect(await gateway.scanner.postSignal(signal('scanner-1', { rule: 'rsi(14) < 30', ruleId: 'rsi-oversold' }))).toMatchObject({ postedBy: 'service:scanner' });
    expect(await alice.postSignal(signal('alice-1'))).toMatchObject({ postedBy: 'alice' });
    expect((await alice.searchSignals({ rule: 'rsi-oversold' })).map((s) => [s.id, s.postedBy])).toEqual([['scanner-1', 'service:scanner']]);
    expect((await alice.searchSignals({ rule: 'alice-up-day' })).map((s) => [s.id, s.postedBy])).toEqual([['alice-1', 'alice']]);
    // Who posted is the gateway's to record, not the poster's to claim.
    expect(await refusal(alice.request('POST', '/signals', { body: { ...signal('alice-2'), postedBy: 'service:scanner' } }))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body', rule: 'unknown field(s): postedBy' }] },
    });
  });

  it("keeps each poster's ids apart: an id a trader took first is still the scanner's and another trader's to post, and none replaces another's", async () => {
    const squatted = signal('squat-1', { rule: 'close < 0', ruleId: 'alice-squat', values: { alice: 1 } });
    const scanners = signal('squat-1', { rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', values: { rsi: 28 } });
    const bobs = signal('squat-1', { rule: 'close > 2', ruleId: 'bob-up', values: { bob: 2 } });
    expect(await alice.postSignal(squatted)).toEqual({ ...squatted, postedBy: 'alice' });
    expect(await gateway.scanner.postSignal(scanners)).toEqual({ ...scanners, postedBy: 'service:scanner' });
    expect(await bob.postSignals([bobs])).toEqual({ stored: 1, duplicates: 0 });
    // The same poster's id again is a duplicate: stored once, answered as posted, the first kept.
    expect(await alice.postSignals([{ ...squatted, close: 999 }])).toEqual({ stored: 0, duplicates: 1 });
    const stored = (await bob.searchSignals({ limit: 1000 })).filter((s) => s.id === 'squat-1');
    expect(stored.sort((a, b) => a.postedBy!.localeCompare(b.postedBy!))).toEqual([
      { ...squatted, postedBy: 'alice' },
      { ...bobs, postedBy: 'bob' },
      { ...scanners, postedBy: 'service:scanner' },
    ]);
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
