// Issue 21 item 10: the scanner's reads answer as of the clock of the market it scans.
import { parseConfig } from '@tradeyard/service-kit';
import { startTestGateway, waitFor } from '@tradeyard/gateway-testing';
import { isoDate, type Bar } from '@tradeyard/market-data';
import { createScanner, scannerConfigSchema } from '@tradeyard/scanner-core';

const scannerWith = (env: Record<string, string>) =>
  createScanner({ ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', SIGNAL_POST_BACKOFF_MS: '5', ...env }), PORT: 0 });

/** The bars the scanner's engine was given, in order. */
function recordBars(scanner: ReturnType<typeof scannerWith>): Bar[] {
  const seen: Bar[] = [];
  const onBar = scanner.engine.onBar.bind(scanner.engine);
  scanner.engine.onBar = (bar) => {
    seen.push(bar);
    onBar(bar);
  };
  return seen;
}

type RsiValue = { date: string; value?: number };
jest.setTimeout(120_000);

describe('indicator reads never reveal bars after the market clock', () => {
  it("consuming the gateway, serves RSI only up to the gateway's clock", async () => {
    const gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
    const scanner = scannerWith({ GATEWAY_URL: gateway.url, SCANNER_TOKEN: gateway.tokens.scanner });
    const seen = recordBars(scanner);
    const address = await scanner.start();
    try {
      await waitFor(async () => (await fetch(`${address}/ready`)).status === 200);
      // Release bars until the scanner has 300 of SPX: the clock stands years before the bundled history ends.
      await waitFor(async () => {
        await gateway.clock.advance(100);
        const released = (await gateway.client.getQuote('SPX')).time;
        return seen.filter((bar) => bar.symbol === 'SPX').at(-1)?.time === released && seen.filter((bar) => bar.symbol === 'SPX').length >= 300;
      });
      const clock = isoDate((await gateway.client.getQuote('SPX')).time);
      const res = await fetch(`${address}/api/v1/indicators/SPX/rsi?limit=5000`);
      expect(res.status).toBe(200);
      const { values } = (await res.json()) as { values: RsiValue[] };
      expect(values.at(-1)?.date).toBe(clock);
      expect(values.filter((v) => v.date > clock)).toEqual([]);
    } finally {
      await scanner.stop();
      await gateway.close();
    }
  });

  it('on its own replay, serves RSI only of the bars replayed so far', async () => {
    // One bar is due at once, the next in 1000 s: the replay stands at the first S&P 500 bar.
    const scanner = scannerWith({ REPLAY_DATASET: 'sp500', REPLAY_BARS_PER_SECOND: '0.001' });
    const seen = recordBars(scanner);
    await scanner.start();
    try {
      await waitFor(() => seen.length === 1);
      const res = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/SPX/rsi?limit=5000' });
      expect(res.statusCode).toBe(200);
      expect(res.json().values.map((v: RsiValue) => v.date)).toEqual([isoDate(seen[0].time)]);
      const unscanned = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/AAPL/rsi' });
      expect(unscanned.statusCode).toBe(404);
      expect(unscanned.json()).toEqual({ error: 'not_found', message: 'no bars of AAPL scanned yet', details: [] });
    } finally {
      await scanner.stop();
    }
  });

  it('bounds limit at 5000 with a 400 naming query.limit', async () => {
    const scanner = scannerWith({ REPLAY_BARS_PER_SECOND: '0.001' });
    try {
      const res = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/SPX/rsi?limit=10000' });
      expect(res.statusCode).toBe(400);
      expect(res.json().details).toEqual([{ field: 'query.limit', rule: 'Too big: expected number to be <=5000' }]);
    } finally {
      await scanner.stop();
    }
  });

  it('forgets signals and closes after a rewound clock, so reads answer as of its new time', async () => {
    const scanner = scannerWith({ REPLAY_BARS_PER_SECOND: '0.001' });
    try {
      for (const id of scanner.engine.listRules().map((r) => r.id)) scanner.engine.deleteRule(id);
      scanner.engine.setRule({ id: 'up', expression: 'close > close[1]' });
      const day = 86_400_000;
      const bar = (i: number, close: number): Bar => ({ symbol: 'ZZTEST', time: i * day, open: close, high: close, low: close, close, volume: 1 });
      // Closes 1, 2, 1, 2, …: 'up' fires on every odd day.
      for (let i = 0; i < 20; i++) scanner.engine.onBar(bar(i, 1 + (i % 2)));
      const read = async (url: string) => (await scanner.app.inject({ method: 'GET', url })).json();
      expect((await read('/api/v1/signals?symbol=ZZTEST')).length).toBe(10);
      // The market's clock restarts at day 10 (a replay restarted, a lockstep run rewound).
      scanner.engine.onBar(bar(10, 1));
      const signalDays = (await read('/api/v1/signals?symbol=ZZTEST')).map((s: { time: number }) => s.time / day);
      expect(signalDays).toEqual([1, 3, 5, 7, 9]);
      const rsi = (await read('/api/v1/indicators/ZZTEST/rsi?limit=5000')).values as RsiValue[];
      expect(rsi.at(-1)?.date).toBe(isoDate(10 * day));
      expect(rsi).toHaveLength(11);
    } finally {
      await scanner.stop();
    }
  });
});
