import { GatewayClient, GatewayError, type ClockDto } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// The market clock belongs to admins and to the consumers that registered (issue 21, item 4): a
// consumer's id is shown, acknowledged and deregistered only by the principal that registered it
// (admins see every id and may deregister any); traders cannot control, stall or fill the clock:
// only admins and the scanner's credential (scope clock) register lockstep consumers.
const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));
const notYours = (id: string) => ({
  status: 404,
  body: {
    error: 'not_found',
    message: expect.stringContaining(`no lockstep consumer ${id} registered with this credential`),
    details: [{ field: 'params.id', rule: 'must be a lockstep consumer registered with this credential' }],
  },
});

describe('who owns the market clock', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let viewer: GatewayClient;
  let alice: GatewayClient;
  let aliceToken: string;
  const socketOf = async (token: string) => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${token}`);
    const messages: { channel: string; data: { status?: number; message?: string } & Partial<ClockDto> }[] = [];
    socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((resolve) => socket.once('open', resolve));
    return { socket, messages };
  };
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: day(100), env: { CLOCK_CONSUMER_TIMEOUT_MS: '1000' } });
    ({ admin, viewer } = await gateway.signedIn());
    await admin.request('POST', '/users', { body: { username: 'alice', password: 'alice-pass-1', role: 'trader' } });
    aliceToken = (await new GatewayClient({ baseUrl: gateway.url }).login('alice', 'alice-pass-1')).token;
    alice = new GatewayClient({ baseUrl: gateway.url, token: aliceToken });
  }, 120_000);
  afterAll(() => gateway.close());

  it('shows consumer ids only to the principal that registered them and to admins, over REST and the WebSocket', async () => {
    const scanner = await gateway.scanner.registerClockConsumer('scanner');
    const bot = await admin.registerClockConsumer('admin-bot');
    try {
      expect((await viewer.getClock()).consumers).toEqual([
        { name: 'scanner', acked: false, lastAckWallMs: null, lastAckTime: null },
        { name: 'admin-bot', acked: false, lastAckWallMs: null, lastAckTime: null },
      ]);
      expect((await alice.getClock()).consumers.map((c) => c.id)).toEqual([undefined, undefined]);
      expect((await gateway.scanner.getClock()).consumers.map((c) => c.id)).toEqual([scanner.consumer.id, undefined]);
      expect((await admin.getClock()).consumers.map((c) => c.id)).toEqual([scanner.consumer.id, bot.consumer.id]);

      const { token } = await new GatewayClient({ baseUrl: gateway.url }).login('watcher', 'watcher-pass-1');
      const watcher = await socketOf(token);
      watcher.socket.send(JSON.stringify({ type: 'subscribe', channels: ['clock'] }));
      await waitFor(() => watcher.messages.some((m) => m.channel === 'subscribed'));
      await admin.controlClock({ action: 'pause' });
      await waitFor(() => watcher.messages.some((m) => m.channel === 'clock'));
      expect(watcher.messages.find((m) => m.channel === 'clock')!.data.consumers!.map((c) => c.id)).toEqual([undefined, undefined]);
      watcher.socket.close();
    } finally {
      await gateway.scanner.deregisterClockConsumer(scanner.consumer.id);
      await admin.deregisterClockConsumer(bot.consumer.id);
      await admin.controlClock({ action: 'resume' });
    }
  });

  it("refuses a trader's ack or deregistration of a consumer it did not register as if there were none (404), over REST and the WebSocket", async () => {
    await admin.controlClock({ action: 'lockstep' });
    const scanner = await gateway.scanner.registerClockConsumer('scanner');
    try {
      const before = await admin.getClock();
      expect(await refusal(alice.ackClock(scanner.consumer.id, before.time))).toEqual(notYours(scanner.consumer.id));
      expect(await refusal(alice.deregisterClockConsumer(scanner.consumer.id))).toEqual(notYours(scanner.consumer.id));

      const socket = await socketOf(aliceToken);
      socket.socket.send(JSON.stringify({ type: 'ack', consumer: scanner.consumer.id, time: before.time }));
      await waitFor(() => socket.messages.some((m) => m.channel === 'error'));
      expect(socket.messages.find((m) => m.channel === 'error')!.data).toMatchObject({ status: 404, consumer: scanner.consumer.id });
      socket.socket.close();

      // Nothing moved: the clock stands at the same step, the consumer is registered and has not acknowledged.
      expect(await admin.getClock()).toMatchObject({ time: before.time, consumers: [{ id: scanner.consumer.id, acked: false }] });
      // An admin sees the id, so is told why (403); it may deregister any consumer but acknowledges only its own.
      expect(await refusal(admin.ackClock(scanner.consumer.id, before.time))).toEqual({
        status: 403,
        body: {
          error: 'forbidden',
          message: `lockstep consumer ${scanner.consumer.id} (scanner) was registered by another principal: only it acknowledges its steps`,
          details: [{ field: 'params.id', rule: 'must be a lockstep consumer registered with this credential' }],
        },
      });
      expect((await admin.deregisterClockConsumer(scanner.consumer.id)).consumers).toEqual([]);
    } finally {
      await admin.controlClock({ action: 'resume' });
    }
  });

  it("refuses a trader a lockstep consumer with a 403 naming the rule, so a trader cannot stall lockstep: the clock moves on the scanner's acknowledgement alone", async () => {
    await admin.controlClock({ action: 'lockstep' });
    try {
      const rule = { field: 'headers.authorization', rule: "must be an admin's credential or a service credential whose scopes include clock (the scanner's)" };
      expect(await refusal(alice.registerClockConsumer('staller'))).toEqual({
        status: 403,
        body: { error: 'forbidden', message: 'a trader cannot register lockstep consumers: one that never acknowledged would stall the market clock for everyone', details: [rule] },
      });
      // Nor with an API token of the trader's, nor with a service credential that has no clock scope.
      const aliceApi = alice.withToken((await alice.createApiToken({ label: 'bot' })).token);
      expect(await refusal(aliceApi.registerClockConsumer('staller'))).toMatchObject({ status: 403, body: { details: [rule] } });
      for (const token of [gateway.tokens.mcpTools, gateway.tokens.tradingAgent]) {
        expect(await refusal(alice.withToken(token).registerClockConsumer('staller'))).toMatchObject({
          status: 403,
          body: { details: [{ field: 'headers.authorization', rule: 'must be a credential whose scopes include clock' }] },
        });
      }
      const scanner = await gateway.scanner.registerClockConsumer('scanner');
      const before = await admin.getClock();
      expect(before.consumers.map((c) => c.name)).toEqual(['scanner']);
      await gateway.scanner.ackClock(scanner.consumer.id, before.time);
      expect((await admin.getClock()).time).toBeGreaterThan(before.time);
      await gateway.scanner.deregisterClockConsumer(scanner.consumer.id);
    } finally {
      await admin.controlClock({ action: 'resume' });
    }
  });

  it('lets one service credential hold at most 4 consumers, so it cannot fill the clock', async () => {
    const mine = [];
    for (let i = 0; i < 4; i++) mine.push(await gateway.scanner.registerClockConsumer(`scanner-${i}`));
    expect(await refusal(gateway.scanner.registerClockConsumer('scanner-4'))).toEqual({
      status: 409,
      body: { error: 'conflict', message: 'this credential has 4 lockstep consumers registered, the most one principal may hold; deregister one first' },
    });
    // Another principal's registration is not held up by the scanner's.
    const bot = await admin.registerClockConsumer('admin-bot');
    await admin.deregisterClockConsumer(bot.consumer.id);
    for (const { consumer } of mine) await gateway.scanner.deregisterClockConsumer(consumer.id);
  });

  it.each([
    { action: 'pause' },
    { action: 'resume' },
    { action: 'step', bars: 1 },
    { action: 'speed', barsPerSecond: 100 },
    { action: 'restart', startDate: day(10) },
    { action: 'lockstep' },
  ] as const)('refuses a trader control of the clock: %j is 403', async (control) => {
    const before = await admin.getClock();
    expect(await refusal(alice.controlClock(control))).toEqual({ status: 403, body: { error: 'forbidden', message: 'requires role admin; this token has role trader' } });
    expect(await admin.getClock()).toEqual(before);
  });

  it('drops a consumer that stops acknowledging outside lockstep too, after CLOCK_CONSUMER_TIMEOUT_MS', async () => {
    expect((await admin.getClock()).state).toBe('running');
    const idle = await gateway.scanner.registerClockConsumer('idle');
    // Two seconds of the gateway's clock pass; the idle consumer is dropped within a second of real time.
    await gateway.clock.advance(2);
    await waitFor(async () => (await admin.getClock()).dropped.some((c) => c.id === idle.consumer.id));
    expect((await admin.getClock()).consumers).toEqual([]);
  });
});
