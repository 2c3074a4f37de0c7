import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@tradeyard/service-kit';
import type { Signal } from '@tradeyard/gateway-contract';
import { startTestGateway, waitFor, type TestGateway } from '@tradeyard/gateway-testing';
import { loadSp500, type Bar } from '@tradeyard/market-data';
// The gateway's Fastify instance has `websocketServer` through @fastify/websocket's type augmentation.
import type {} from '@fastify/websocket';
import { freePort } from '@tradeyard/persistence';
import { createScanner, defaultRules, ScanEngine, scannerConfigSchema } from '@tradeyard/scanner-core';
import { readSseSignals } from './sse';


const scannerOn = (gatewayUrl: string, token: string, env: Record<string, string> = {}) =>
  createScanner({
    ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: gatewayUrl, SCANNER_TOKEN: token, SIGNAL_POST_BACKOFF_MS: '5', ...env }),
    PORT: 0,
  });

/** Releases one bar at a time until the scanner has one more than `seen` (it subscribed, or resubscribed). */
async function advanceUntilReceived(gateway: TestGateway, received: () => number) {
  const before = received();
  await waitFor(async () => {
    await gateway.clock.advance(1);
    const deadline = Date.now() + 200;
    while (received() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return received() > before;
  });
}

// Each test starts the real gateway on an in-memory PostgreSQL (PGlite): seconds, more on a busy machine.
jest.setTimeout(120_000);

describe('scanner with the real gateway', () => {
  it('consumes the /ws bar stream, reconnects after a drop, streams signals over SSE and posts them', async () => {
    // The universe kept small (SPX, the monthly stocks, two synthetic symbols): thousands of bars of each go through the rule.
    const gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
    const scanner = scannerOn(gateway.url, gateway.tokens.scanner);
    defaultRules.forEach((rule) => scanner.engine.deleteRule(rule.id));
    scanner.engine.setRule({ id: 'oversold', expression: 'rsi(14) < 30' });
    const seen: Bar[] = [];
    const onBar = scanner.engine.onBar.bind(scanner.engine);
    scanner.engine.onBar = (bar) => {
      seen.push(bar);
      onBar(bar);
    };
    /** Every symbol's bars up to the latest the gateway released arrived: what the scanner fires from now on is known. */
    const receivedAll = async () => {
      const latest = new Map(seen.map((bar) => [bar.symbol, bar.time]));
      return (await gateway.client.getQuotes()).every((quote) => latest.get(quote.symbol) === quote.time);
    };
    const address = await scanner.start();
    try {
      await waitFor(async () => (await fetch(`${address}/ready`)).status === 200);
      await advanceUntilReceived(gateway, () => seen.length);
      const streamed = readSseSignals(`${address}/api/v1/signals/stream`, 3, () => gateway.clock.advance(2500));
      const signals = await streamed;
      expect(signals.every((s) => s.rule === 'rsi(14) < 30')).toBe(true);

      // Every released bar arrived (the SSE stream may end while they are still streaming).
      const released = (await gateway.client.getQuote('SPX')).time;
      const seenSpx = () => seen.filter((bar) => bar.symbol === 'SPX');
      await waitFor(() => seenSpx().at(-1)?.time === released, 60_000);
      // The gateway drops the connection; the scanner reconnects, resubscribes and keeps its state.
      const beforeDrop = seen.length;
      for (const socket of gateway.gateway.app.websocketServer.clients) socket.terminate();
      await advanceUntilReceived(gateway, () => seen.length);
      // As on a loaded machine: what the gateway sends after SPX's last bar (the synthetic symbols'
      // bars come after it) arrives late, so the test must wait for every symbol, not SPX alone.
      const isLastSpx = (text: string) => text.includes('"symbol":"SPX"') && text.includes(`"time":${loadSp500().at(-1)!.time}`);
      for (const socket of gateway.gateway.app.websocketServer.clients) {
        const send = socket.send.bind(socket) as (data: unknown) => void;
        let late = false;
        socket.send = ((data: unknown) => {
          if (late) setTimeout(() => send(data), 300);
          else send(data);
          late ||= isLastSpx(String(data));
        }) as typeof socket.send;
      }
      const total = loadSp500().length;
      await gateway.clock.advance(total);
      // Thousands of bars through the socket and the rule: generous on a loaded machine.
      await waitFor(receivedAll, 60_000);
      expect(seen.length).toBeGreaterThan(beforeDrop + 2000);
      // Every bar once, in order per symbol, across the reconnect (bars released while it was away are missed).
      const symbols = [...new Set(seen.map((bar) => bar.symbol))];
      expect(symbols).toEqual(expect.arrayContaining(['SPX', 'SYN000', 'SYN001']));
      for (const symbol of symbols) {
        const bars = seen.filter((bar) => bar.symbol === symbol);
        expect(bars.every((bar, i) => i === 0 || bar.time > bars[i - 1].time)).toBe(true);
      }

      // What the scanner fired is what the same rule fires over the bars it saw, and the gateway stored each once.
      const reference = new ScanEngine();
      reference.setRule({ id: 'oversold', expression: 'rsi(14) < 30' });
      seen.forEach((bar) => reference.onBar(bar));
      const expected = reference.signals({ limit: 1000 });
      expect(expected.length).toBeGreaterThan(40);
      expect(scanner.engine.signals({ limit: 1000 })).toEqual(expected);
      await waitFor(async () => (await gateway.client.searchSignals({ limit: 1000 })).length === expected.length && scanner.poster()!.pending === 0, 60_000);
      const stored = await gateway.client.searchSignals({ limit: 1000 });
      expect(stored.map((s) => s.id).sort()).toEqual(expected.map((s) => s.id).sort());
      // Each stored signal names its rule by id and by expression, and is found by either.
      expect(stored.every((s) => s.ruleId === 'oversold' && s.rule === 'rsi(14) < 30')).toBe(true);
      expect(await gateway.client.searchSignals({ rule: 'oversold', limit: 1000 })).toHaveLength(expected.length);
      expect(scanner.poster()!.dropped).toBe(0);

      // Re-posting the same signal is idempotent by id.
      const delivered = scanner.poster()!.delivered;
      scanner.poster()!.enqueue(expected[0]);
      await waitFor(() => scanner.poster()!.pending === 0 && scanner.poster()!.delivered === delivered + 1);
      expect(await gateway.client.searchSignals({ limit: 1000 })).toHaveLength(expected.length);
    } finally {
      await scanner.stop();
      await gateway.close();
    }
  });

  it('keeps signals it could not post across its own restart and posts them at the next start', async () => {
    // The gateway is not up yet: posts fail (connection refused) and stay pending.
    const port = await freePort();
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const scannerToken = 'scanner-token-0123456789';
    const dataDir = mkdtempSync(join(tmpdir(), 'scanner-pending-'));
    const start = () => scannerOn(gatewayUrl, scannerToken, { SIGNAL_POST_BACKOFF_MS: '60000', DATA_DIR: dataDir });
    const signals: Signal[] = [1, 2, 3].map((n) => ({ id: `pending-${n}`, symbol: 'SPX', rule: 'rsi(14) < 30', time: 1_000_000 + n, close: 100 + n, values: { rsi: 25 } }));
    let gateway: TestGateway | undefined;
    try {
      const first = start();
      for (const signal of signals) first.poster()!.enqueue(signal);
      expect(first.poster()!.pending).toBe(3);
      await first.stop();

      gateway = await startTestGateway({ port, env: { SCANNER_TOKEN: scannerToken } });
      const second = start();
      try {
        expect(second.poster()!.restored).toBe(3);
        await waitFor(() => second.poster()!.pending === 0);
        expect((await gateway.client.searchSignals()).map((s) => s.id).sort()).toEqual(signals.map((s) => s.id));
      } finally {
        await second.stop();
      }
      // Delivered signals are not posted a third time.
      const third = start();
      expect(third.poster()!.restored).toBe(0);
      await third.stop();
    } finally {
      await gateway?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('requires SCANNER_TOKEN with GATEWAY_URL', () => {
    expect(() => parseConfig(scannerConfigSchema, { GATEWAY_URL: 'http://127.0.0.1:8080' })).toThrow(
      'invalid configuration: SCANNER_TOKEN is not set: is required when GATEWAY_URL is set',
    );
  });
});
