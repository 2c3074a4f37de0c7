import { GatewayClient, GatewayError, type StepMessage } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// Lockstep on the real gateway: the clock moves one step once every registered consumer acknowledged
// the current one, stands still without consumers, drops a consumer that stops acknowledging.
const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));


describe('the market clock in lockstep', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let viewer: GatewayClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2', CLOCK_CONSUMER_TIMEOUT_MS: '1000' } });
    ({ admin, viewer } = await gateway.signedIn());
  }, 120_000);
  afterAll(() => gateway.close());

  it('stands still in lockstep with no consumer', async () => {
    expect(await admin.controlClock({ action: 'lockstep' })).toMatchObject({ state: 'lockstep', date: day(100), consumers: [] });
    await gateway.clock.advance(10);
    expect(await viewer.getClock()).toMatchObject({ state: 'lockstep', date: day(100) });
  });

  it('advances only once both consumers acknowledged the step, and delivers its bars in one steps message', async () => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.scanner}`);
    const steps: StepMessage[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'steps') steps.push(message.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'subscribe', channels: ['steps'] }));
    await new Promise((resolve) => socket.once('message', resolve));
    try {
      const scanner = await gateway.scanner.registerClockConsumer('scanner');
      const agent = await admin.registerClockConsumer('agent');
      expect(scanner.consumer).toEqual({ id: expect.any(String), name: 'scanner', acked: false, lastAckWallMs: null, lastAckTime: null });
      const first = await gateway.scanner.ackClock(scanner.consumer.id, spx[100].time);
      expect(first.clock).toMatchObject({ date: day(100), consumers: [{ name: 'scanner', acked: true, lastAckTime: spx[100].time }, { name: 'agent', acked: false }] });
      await gateway.clock.advance(10);
      expect((await viewer.getClock()).date).toBe(day(100));
      expect(steps).toEqual([]);

      const second = await admin.ackClock(agent.consumer.id, spx[100].time);
      expect(second.clock).toMatchObject({ date: day(101), consumers: [{ acked: false }, { acked: false }] });
      // The step's bars went out before the ack was answered: every symbol's bar of the day, in one message.
      expect(steps).toHaveLength(1);
      expect(steps[0].clock).toMatchObject({ date: day(101), state: 'lockstep' });
      expect(steps[0].bars.filter((b) => b.time === spx[101].time).map((b) => b.symbol).sort()).toEqual(['SPX', 'SYN000', 'SYN001']);
      expect((await gateway.scanner.getBars('SPX', { limit: 1 }))[0].time).toBe(spx[101].time);

      // Acks of another step, by an unknown consumer, or of a malformed body are refused, naming why.
      expect(await refusal(gateway.scanner.ackClock(scanner.consumer.id, spx[100].time))).toEqual({
        status: 409,
        body: { error: 'conflict', message: `time ${spx[100].time} (${day(100)}) is not the current step ${spx[101].time} (${day(101)})` },
      });
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(await refusal(gateway.scanner.ackClock(unknown, spx[101].time))).toMatchObject({ status: 404, body: { error: 'not_found', details: [{ field: 'params.id', rule: 'must be a lockstep consumer registered with this credential' }] } });
      expect(await refusal(gateway.scanner.ackClock('not-an-id', spx[101].time))).toMatchObject({ status: 400, body: { details: [{ field: 'params.id' }] } });
      expect(await refusal(gateway.scanner.request('POST', `/clock/consumers/${scanner.consumer.id}/ack`, { body: { time: 'today' } }))).toMatchObject({
        status: 400,
        body: { details: [{ field: 'body.time', rule: 'must be a number' }] },
      });
      expect(await refusal(gateway.scanner.request('POST', '/clock/consumers', { body: { name: '' } }))).toMatchObject({ status: 400, body: { details: [{ field: 'body.name' }] } });
      expect(await refusal(viewer.registerClockConsumer('peeker'))).toMatchObject({ status: 403 });

      // Many steps as fast as the consumers answer, each one's bars in its own message.
      for (let i = 101; i < 111; i++) {
        await gateway.scanner.ackClock(scanner.consumer.id, spx[i].time);
        await admin.ackClock(agent.consumer.id, spx[i].time);
      }
      expect((await viewer.getClock()).date).toBe(day(111));
      expect(steps.map((s) => s.clock.date)).toEqual(Array.from({ length: 11 }, (_, k) => day(101 + k)));

      await gateway.scanner.deregisterClockConsumer(scanner.consumer.id);
      await admin.deregisterClockConsumer(agent.consumer.id);
      expect((await viewer.getClock()).consumers).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('drops a consumer that stops acknowledging after CLOCK_CONSUMER_TIMEOUT_MS, reports it, and goes on with the rest', async () => {
    const live = await gateway.scanner.registerClockConsumer('live');
    const dead = await gateway.scanner.registerClockConsumer('dead');
    const { time } = await viewer.getClock();
    await gateway.scanner.ackClock(live.consumer.id, time);
    // Two seconds of the gateway's clock pass; the dead consumer is dropped within a second of real time.
    await gateway.clock.advance(2);
    // Its owner sees its id among the dropped (a viewer sees no consumer ids).
    await waitFor(async () => (await gateway.scanner.getClock()).dropped.some((c) => c.id === dead.consumer.id));
    const clock = await gateway.scanner.getClock();
    expect(clock.consumers.map((c) => c.name)).toEqual(['live']);
    expect(clock.dropped.at(-1)).toMatchObject({ name: 'dead', lastAckTime: null });
    // Its ack now is refused; the live consumer's completed step moved the clock.
    expect(clock.time).toBeGreaterThan(time);
    expect(await refusal(gateway.scanner.ackClock(dead.consumer.id, clock.time))).toMatchObject({ status: 404 });
    await gateway.scanner.deregisterClockConsumer(live.consumer.id);
  });

  it('takes acknowledgements over the WebSocket too, refusing an unknown consumer or a viewer with an error message', async () => {
    const consumer = await gateway.scanner.registerClockConsumer('socket');
    const open = async (token: string) => {
      const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${token}`);
      const messages: { channel: string; data: { status?: number; message?: string; bars?: unknown[]; clock?: { time: number } } }[] = [];
      socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
      await new Promise((resolve) => socket.once('open', resolve));
      return { socket, messages };
    };
    const { socket, messages } = await open(gateway.tokens.scanner);
    try {
      socket.send(JSON.stringify({ type: 'subscribe', channels: ['steps'] }));
      await waitFor(() => messages.some((m) => m.channel === 'subscribed'));
      const { time } = await viewer.getClock();
      socket.send(JSON.stringify({ type: 'ack', consumer: consumer.consumer.id, time }));
      await waitFor(() => messages.some((m) => m.channel === 'steps'));
      expect((await viewer.getClock()).time).toBeGreaterThan(time);
      socket.send(JSON.stringify({ type: 'ack', consumer: '00000000-0000-4000-8000-000000000000', time }));
      socket.send(JSON.stringify({ type: 'ack', consumer: consumer.consumer.id, time: 'now' }));
      await waitFor(() => messages.filter((m) => m.channel === 'error').length === 2, 10_000);
      expect(messages.filter((m) => m.channel === 'error').map((m) => m.data.status).sort()).toEqual([400, 404]);
      expect(messages.find((m) => m.data.status === 400)!.data.message).toBe('time: must be a number');

      const { token } = await new GatewayClient({ baseUrl: gateway.url }).login('watcher', 'watcher-pass-1');
      const watcher = await open(token);
      watcher.socket.send(JSON.stringify({ type: 'ack', consumer: consumer.consumer.id, time: (await viewer.getClock()).time }));
      await waitFor(() => watcher.messages.some((m) => m.channel === 'error'));
      expect(watcher.messages[0].data).toMatchObject({ status: 403 });
      watcher.socket.close();
    } finally {
      socket.close();
      await gateway.scanner.deregisterClockConsumer(consumer.consumer.id);
    }
  });

  it('stores a batch of signals in one request, once per id, and refuses a bad batch whole', async () => {
    const signal = (n: number) => ({ id: `batch-${n}`, symbol: 'SPX', rule: 'close > open', ruleId: 'up-day', time: spx[100].time + n, close: 100 + n, values: {} });
    expect(await gateway.scanner.postSignals([signal(1), signal(2), signal(2)])).toEqual({ stored: 2, duplicates: 1 });
    expect(await gateway.scanner.postSignals([signal(2), signal(3)])).toEqual({ stored: 1, duplicates: 1 });
    expect((await gateway.scanner.searchSignals({ rule: 'up-day' })).map((s) => s.id).sort()).toEqual(['batch-1', 'batch-2', 'batch-3']);
    expect(await refusal(gateway.scanner.postSignals([signal(4), { ...signal(5), rule: '' }]))).toMatchObject({ status: 400, body: { details: [{ field: 'body.signals.1.rule' }] } });
    expect(await refusal(gateway.scanner.postSignals(Array.from({ length: 1001 }, (_, n) => signal(n))))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body.signals', rule: 'must hold at most 1000 signals' }] },
    });
    expect(await gateway.scanner.searchSignals({ rule: 'up-day' })).toHaveLength(3);
  });

  it('a restart clears the acknowledgements; pause and resume leave lockstep; bad actions are 400s', async () => {
    const a = await gateway.scanner.registerClockConsumer('a');
    const b = await gateway.scanner.registerClockConsumer('b');
    await gateway.scanner.ackClock(a.consumer.id, (await viewer.getClock()).time);
    const restarted = await admin.controlClock({ action: 'restart', startDate: day(50) });
    expect(restarted).toMatchObject({ state: 'lockstep', date: day(50), restarted: true, consumers: [{ acked: false }, { acked: false }] });
    await gateway.scanner.ackClock(b.consumer.id, spx[50].time);
    expect((await viewer.getClock()).date).toBe(day(50));
    await gateway.scanner.ackClock(a.consumer.id, spx[50].time);
    expect((await viewer.getClock()).date).toBe(day(51));

    expect(await admin.controlClock({ action: 'pause' })).toMatchObject({ state: 'paused' });
    expect(await refusal(gateway.scanner.ackClock(a.consumer.id, spx[51].time))).toEqual({
      status: 409,
      body: { error: 'conflict', message: 'the clock is paused, not in lockstep: acknowledgements count only in lockstep' },
    });
    expect(await refusal(admin.request('POST', '/clock', { body: { action: 'lockstep', bars: 1 } }))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body.bars', rule: 'must be omitted for action lockstep' }] },
    });
    expect(await refusal(admin.request('POST', '/clock', { body: { action: 'lock' } }))).toMatchObject({
      status: 400,
      body: { details: [{ field: 'body.action', rule: 'must be one of pause, resume, step, speed, restart, lockstep' }] },
    });
    expect(await admin.controlClock({ action: 'resume' })).toMatchObject({ state: 'running' });
    // The mode and consumers are stored with the clock, so another replica or a restart reads them.
    await admin.controlClock({ action: 'lockstep' });
    const [row] = await gateway.gateway.db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'market_clock'");
    expect(JSON.parse(row.value)).toMatchObject({ lockstep: true, consumers: [{ name: 'a' }, { name: 'b' }] });
  });
});
