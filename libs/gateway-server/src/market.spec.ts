import { GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { openDatabase } from '@tradeyard/persistence';
import { ConfigError, parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayConfigSchema } from './config';
import { createGateway, type Gateway } from './gateway';
import { waitFor } from './__fixtures__/wait';
import { secrets } from './__fixtures__/secrets';

// Each test starts a gateway on PGlite: slow on a busy machine.
jest.setTimeout(180_000);

const env = (extra: Record<string, string>) => ({ HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: mkdtempSync(join(tmpdir(), 'gateway-market-')), ...secrets, ...extra });

async function start(extra: Record<string, string>, now?: () => number): Promise<{ gateway: Gateway; client: GatewayClient }> {
  const config = parseConfig(gatewayConfigSchema, env(extra));
  // An in-memory database: what these tests read is the market (gateway.spec covers DATA_DIR's).
  const gateway = await createGateway({ ...config, PORT: 0 }, { now, database: await openDatabase({}) });
  const url = await gateway.start();
  const { token } = await new GatewayClient({ baseUrl: url }).login('admin', secrets.ADMIN_PASSWORD);
  return { gateway, client: new GatewayClient({ baseUrl: url, token }) };
}

describe('MARKET_PROVIDER', () => {
  const problems = (extra: Record<string, string>) => {
    try {
      parseConfig(gatewayConfigSchema, env(extra));
      return [];
    } catch (err) {
      return (err as ConfigError).lines;
    }
  };

  it('is validated at start-up with one line naming the variable and the allowed values', () => {
    expect(problems({ MARKET_PROVIDER: 'nasdaq' })).toEqual(['invalid configuration: MARKET_PROVIDER is "nasdaq": must be one of replay, synthetic, files, binance, alphavantage']);
    expect(problems({ MARKET_PROVIDER: 'files' })).toEqual(['invalid configuration: MARKET_FILES_DIR is not set: is required when MARKET_PROVIDER=files']);
    expect(problems({ MARKET_PROVIDER: 'alphavantage' })).toEqual(['invalid configuration: ALPHAVANTAGE_API_KEY is not set: is required when MARKET_PROVIDER=alphavantage']);
    expect(problems({ MARKET_PROVIDER: 'binance', BINANCE_SYMBOLS: 'BTCUSDT,btc usdt' })[0]).toMatch(/^invalid configuration: BINANCE_SYMBOLS is "BTCUSDT,btc usdt": must be a comma-separated list of symbols .*bad: btc usdt$/);
    expect(problems({ MARKET_PROVIDER: 'synthetic', SYNTHETIC_SYMBOLS: '20' })).toEqual([]);
  });

  it('files: serves the folder and trades it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-files-'));
    writeFileSync(join(dir, 'acme.csv'), 'symbol,time,open,high,low,close,volume\nACME,2024-01-02,10,11,9,10.5,100\nACME,2024-01-03,10.5,12,10,11,50\n');
    const { gateway, client } = await start({ MARKET_PROVIDER: 'files', MARKET_FILES_DIR: dir, REPLAY_START_DATE: '2024-01-03' });
    try {
      expect(await client.listSymbols()).toEqual([
        { symbol: 'ACME', name: 'ACME (acme.csv)', source: 'file:acme.csv', interval: '1d', intervals: ['1d', '1w', '1M'], firstDate: '2024-01-02', lastDate: '2024-01-03', stale: false },
      ]);
      expect(await client.placeOrder({ symbol: 'ACME', side: 'buy', quantity: 2 })).toMatchObject({ status: 'filled', avgFillPrice: 11 });
    } finally {
      await gateway.stop();
    }
  });
});

describe('the broker matches resting orders against the current bar', () => {
  it('fills a buy limit the bar range reaches although the bar closes above it', async () => {
    const spx = loadSp500();
    // A day whose next bar trades down to below its close and closes above the low.
    const i = spx.findIndex((b, k) => k > 0 && spx[k + 1] && spx[k + 1].low < b.close - 1 && spx[k + 1].close > spx[k + 1].low + 1);
    const limit = Math.floor(spx[i + 1].low + 0.5);
    expect(limit).toBeLessThan(spx[i].close);
    expect(limit).toBeLessThan(spx[i + 1].close);
    let now = Date.now();
    const { gateway, client } = await start({ REPLAY_START_DATE: isoDate(spx[i].time), REPLAY_BARS_PER_SECOND: '1', SYNTHETIC_SYMBOLS: '0' }, () => now);
    try {
      const resting = await client.placeOrder({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: limit });
      expect(resting.status).toBe('accepted');
      now += 1000;
      await gateway.tick();
      const filled = await client.getOrder(resting.id);
      expect(filled.status).toBe('filled');
      expect(filled.avgFillPrice).toBeLessThanOrEqual(limit);
    } finally {
      await gateway.stop();
    }
  });
});

describe('a live venue (Binance klines on 127.0.0.1) that fails', () => {
  let server: Server;
  let answer: 'ok' | 'fail' = 'fail';
  const t0 = Date.UTC(2024, 0, 1);
  beforeAll(async () => {
    server = createServer((_req, res) => {
      if (answer === 'fail') return res.writeHead(500).end('{"code":-1000,"msg":"An unknown error occurred"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([[t0, '100', '110', '90', '105', '7', t0 + 3_599_999]]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('is not ready without data, ready once polled, then degraded with the symbol stale while it fails', async () => {
    const { gateway, client } = await start({
      MARKET_PROVIDER: 'binance',
      BINANCE_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      BINANCE_SYMBOLS: 'BTCUSDT',
      BINANCE_INTERVAL: '1h',
      VENUE_TIMEOUT_MS: '3000',
    });
    const ready = async () => (await gateway.app.inject({ method: 'GET', url: '/ready' })).json();
    try {
      await waitFor(async () => (await client.listSymbols())[0].stale);
      expect(await ready()).toMatchObject({ status: 'not ready', missing: ['market'], checks: { market: expect.stringMatching(/^no market data yet for any of 1 symbols: binance: HTTP 500/) } });
      answer = 'ok';
      await gateway.market.poller!.poll('BTCUSDT');
      expect(await ready()).toMatchObject({ status: 'ready', checks: { market: 'ok' } });
      expect(await client.getQuote('BTCUSDT')).toMatchObject({ price: 105, time: t0 });
      answer = 'fail';
      await gateway.market.poller!.poll('BTCUSDT');
      expect(await ready()).toMatchObject({ status: 'degraded', degraded: ['market'], checks: { market: expect.stringMatching(/^degraded: 1 of 1 symbols stale \(BTCUSDT: binance: HTTP 500/) } });
      expect((await client.listSymbols())[0]).toMatchObject({ symbol: 'BTCUSDT', source: 'binance', stale: true, lastDate: '2024-01-01' });
      expect(await client.getQuote('BTCUSDT')).toMatchObject({ price: 105 });
    } finally {
      await gateway.stop();
    }
  });
});
