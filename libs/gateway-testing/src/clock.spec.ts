import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// The market clock over REST and WebSocket against the real gateway: admins pause, step, speed up
// and restart it; everyone reads it; no bar after it is visible.
const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));

describe('the market clock over REST', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let viewer: GatewayClient;
  /** Date of the newest SPX bar a client can see. */
  const lastBarDate = async () => isoDate((await gateway.client.getBars('SPX', { limit: 1 })).at(-1)!.time);
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: day(100) });
    ({ admin, viewer } = await gateway.signedIn());
  }, 120_000);
  afterAll(() => gateway.close());

  it('shows every caller the clock, running from the start date, and the bars up to it', async () => {
    expect(await viewer.getClock()).toEqual({ time: spx[100].time, date: day(100), state: 'running', ended: false, barsPerSecond: 1, startDate: day(100), endDate: null, epoch: 0, consumers: [], dropped: [] });
    await gateway.clock.advance(2);
    expect((await viewer.getClock()).date).toBe(day(102));
    expect(await lastBarDate()).toBe(day(102));
  });

  it('stops releasing bars while paused, and a step releases exactly N', async () => {
    const paused = await admin.controlClock({ action: 'pause' });
    expect(paused).toMatchObject({ state: 'paused', date: day(102), restarted: false });
    await gateway.clock.advance(5);
    expect(await lastBarDate()).toBe(day(102));
    expect((await gateway.client.getQuote('SPX')).date).toBe(day(102));

    expect(await admin.controlClock({ action: 'step', bars: 3 })).toMatchObject({ state: 'paused', date: day(105) });
    await gateway.clock.advance(5);
    const bars = await gateway.client.getBars('SPX', { from: day(102) });
    expect(bars.map((b) => isoDate(b.time))).toEqual([day(102), day(103), day(104), day(105)]);
  });

  it('resumes at the set speed from where it stood', async () => {
    expect(await admin.controlClock({ action: 'speed', barsPerSecond: 2 })).toMatchObject({ barsPerSecond: 2, date: day(105), state: 'paused' });
    expect(await admin.controlClock({ action: 'resume' })).toMatchObject({ state: 'running', date: day(105) });
    await gateway.clock.advance(1); // one second of the test clock: two bars at 2 bars/s
    expect(await lastBarDate()).toBe(day(107));
  });

  it('refuses to step a running clock (409); a restart moves it back and says so', async () => {
    expect(await refusal(admin.controlClock({ action: 'step', bars: 1 }))).toEqual({ status: 409, body: { error: 'conflict', message: 'step moves a paused clock only: pause it first' } });
    const restarted = await admin.controlClock({ action: 'restart', startDate: day(50), endDate: day(52) });
    expect(restarted).toMatchObject({ restarted: true, epoch: 1, date: day(50), startDate: day(50), endDate: day(52) });
    expect(await lastBarDate()).toBe(day(50));
    await gateway.clock.advance(10);
    expect(await viewer.getClock()).toMatchObject({ date: day(52), ended: true });
    expect(await lastBarDate()).toBe(day(52));
  });

  it('is stored in the settings table, so a restart of the gateway or another replica reads the same clock', async () => {
    const [row] = await gateway.gateway.db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'market_clock'");
    expect(JSON.parse(row.value)).toMatchObject({ startDate: day(50), endDate: day(52), epoch: 1, barsPerSecond: 2, paused: false });
  });

  it('refuses control by a viewer or the trading service with 403, and without a token with 401', async () => {
    const before = await viewer.getClock();
    expect(await refusal(viewer.controlClock({ action: 'pause' }))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await refusal(gateway.client.controlClock({ action: 'pause' }))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await refusal(new GatewayClient({ baseUrl: gateway.url }).controlClock({ action: 'pause' }))).toMatchObject({ status: 401 });
    expect(await viewer.getClock()).toEqual(before);
  });

  it.each([
    [{ action: 'fly' }, 'body.action', 'must be one of pause, resume, step, speed, restart, lockstep'],
    [{ action: 'step' }, 'body.bars', 'is required for action step'],
    [{ action: 'step', bars: 1.5 }, 'body.bars', 'must be a whole number'],
    [{ action: 'step', bars: 0 }, 'body.bars', 'must be at least 1'],
    [{ action: 'speed', barsPerSecond: -1 }, 'body.barsPerSecond', 'must be at least 0.01'],
    [{ action: 'speed', barsPerSecond: 5000 }, 'body.barsPerSecond', 'must be at most 1000'],
    [{ action: 'pause', bars: 2 }, 'body.bars', 'must be omitted for action pause'],
    [{ action: 'restart', startDate: '2001-02-30' }, 'body.startDate', 'must be a real calendar date'],
    [{ action: 'restart', startDate: '2001-02-01', endDate: '2001-01-01' }, 'body.endDate', 'must not be before startDate'],
    [{ action: 'pause', when: 'now' }, 'body', 'unknown field(s): when'],
  ])('answers POST %j with a 400 naming %s', async (body, field, rule) => {
    const refused = await refusal(admin.request('POST', '/clock', { body }));
    expect(refused).toEqual({ status: 400, body: { error: 'validation_failed', message: `${field}: ${rule}`, details: [{ field, rule }] } });
  });

  it('tells WebSocket subscribers of the clock channel when it changes', async () => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.scanner}`);
    const messages: { channel: string; data: { state?: string } }[] = [];
    socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'subscribe', channels: ['clock'] }));
    await waitFor(() => messages.some((m) => m.channel === 'subscribed'));
    await admin.controlClock({ action: 'pause' });
    await waitFor(() => messages.some((m) => m.channel === 'clock'));
    expect(messages.find((m) => m.channel === 'clock')!.data).toMatchObject({ state: 'paused', date: day(52) });
    socket.close();
  });

  it('streams none of the history a restart skips: a restart years ahead sends only the bars after its start', async () => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.scanner}`);
    const bars: { symbol: string; time: number }[] = [];
    let subscribed = false;
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'bars') bars.push(message.data);
      subscribed ||= message.channel === 'subscribed';
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'subscribe', channels: ['bars'] }));
    await waitFor(() => subscribed);
    await admin.controlClock({ action: 'pause' });
    await admin.controlClock({ action: 'restart', startDate: day(3000) });
    await gateway.clock.advance(1);
    await admin.controlClock({ action: 'step', bars: 1 });
    await gateway.clock.advance(1);
    await waitFor(() => bars.some((b) => b.symbol === 'SPX'));
    expect(bars.filter((b) => b.symbol === 'SPX').map((b) => isoDate(b.time))).toEqual([day(3001)]);
    expect(bars.every((b) => b.time > spx[3000].time)).toBe(true);
    socket.close();
  });
});

