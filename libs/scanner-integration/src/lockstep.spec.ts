import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, waitFor } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500, type Bar } from '@tradeyard/market-data';
import { createScanner, ScanEngine, scannerConfigSchema } from '@tradeyard/scanner-core';
import { parseConfig } from '@tradeyard/service-kit';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);

jest.setTimeout(180_000);

// The scanner as a lockstep consumer of the real gateway's clock, over a watchlist of hundreds of symbols.
describe('scanner over a watchlist, in lockstep with the real gateway', () => {
  it('registers, scans each step of the watchlist, posts its signals before acknowledging, and the clock runs to the end on its acks', async () => {
    const first = 300;
    const last = 315;
    const gateway = await startTestGateway({ startDate: day(first), env: { SYNTHETIC_SYMBOLS: '250' } });
    const dir = mkdtempSync(join(tmpdir(), 'scanner-lockstep-'));
    const watchlist = ['SPX', ...Array.from({ length: 200 }, (_, i) => `SYN${String(i).padStart(3, '0')}`)];
    const rules = [{ id: 'up-day', expression: 'close > open' }];
    writeFileSync(join(dir, 'rules.json'), JSON.stringify({ rules, watchlist }));
    const scanner = createScanner({
      ...parseConfig(scannerConfigSchema, {
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        GATEWAY_URL: gateway.url,
        SCANNER_TOKEN: gateway.tokens.scanner,
        SCANNER_RULES_FILE: join(dir, 'rules.json'),
        SCANNER_LOCKSTEP: 'true',
      }),
      PORT: 0,
    });
    const seen: Bar[] = [];
    const onBar = scanner.engine.onBar.bind(scanner.engine);
    scanner.engine.onBar = (bar) => {
      seen.push(bar);
      onBar(bar);
    };
    const { admin } = await gateway.signedIn();
    try {
      const address = await scanner.start();
      expect(await (await fetch(`${address}/api/v1/watchlist`)).json()).toEqual({ symbols: watchlist, all: false });
      await admin.controlClock({ action: 'restart', startDate: day(first), endDate: day(last) });
      await admin.controlClock({ action: 'lockstep' });
      // No one moves the test clock: the scanner's acknowledgements alone walk the replay to its end.
      const scannerAcked = async (time: number) => (await gateway.client.getClock()).consumers.find((c) => c.name === 'scanner')?.lastAckTime === time;
      await waitFor(() => scannerAcked(spx[last].time), 60_000);
      const clock = await gateway.client.getClock();
      expect(clock).toMatchObject({ state: 'lockstep', date: day(last), ended: true });

      // Every step's bars of the watchlist, once, and nothing outside it.
      const scanned = seen.filter((bar) => watchlist.includes(bar.symbol));
      expect(new Set(scanned.map((bar) => bar.symbol)).size).toBe(watchlist.length);
      expect(scanned).toHaveLength(watchlist.length * (last - first));
      // The signals of the last step were posted before it was acknowledged: all are stored now, without waiting.
      const stored = await gateway.client.searchSignals({ limit: 1000 });
      const reference = new ScanEngine();
      reference.setWatchlist(watchlist);
      rules.forEach((rule) => reference.setRule(rule));
      seen.forEach((bar) => reference.onBar(bar));
      const expected = reference.signals({ limit: 10_000 });
      expect(expected.length).toBeGreaterThan(watchlist.length);
      // Pages of 1000, newest first: each next page ends at the oldest day of the previous one (inclusive, so none is missed).
      const byId = new Map(stored.map((signal) => [signal.id, signal]));
      for (let size = 0; byId.size !== size; ) {
        size = byId.size;
        const oldest = Math.min(...[...byId.values()].map((signal) => signal.time));
        for (const signal of await gateway.client.searchSignals({ limit: 1000, to: oldest })) byId.set(signal.id, signal);
      }
      const all = [...byId.values()];
      expect(all.map((s) => s.id).sort()).toEqual(expected.map((s) => s.id).sort());
      expect(all.every((s) => s.ruleId === 'up-day' && s.rule === 'close > open' && watchlist.includes(s.symbol))).toBe(true);

      // The watchlist over REST: validated, bounded, and only symbols the gateway serves.
      const put = (symbols: unknown, token = gateway.tokens.scanner) =>
        fetch(`${address}/api/v1/watchlist`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ symbols }) });
      const unknown = await put(['SPX', 'NOPE']);
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { details: unknown }).details).toEqual([{ field: 'body.symbols', rule: 'must be symbols the gateway serves (GET /api/v1/symbols); unknown: NOPE' }]);
      const tooMany = await put(Array.from({ length: 2001 }, (_, i) => `S${i}`));
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as { details: unknown }).details).toEqual([{ field: 'body.symbols', rule: 'must hold at most 2000 symbols' }]);
      expect((await put(['spx!'])).status).toBe(400);
      expect((await put(['SYN249'], 'wrong-token')).status).toBe(401);
      const changed = await put(['SYN249', 'SPX']);
      expect(await changed.json()).toEqual({ symbols: ['SYN249', 'SPX'], all: false });
      expect(await (await put([])).json()).toEqual({ symbols: [], all: true });
    } finally {
      await scanner.stop();
      // It deregistered on stop: the lockstep clock no longer waits for it.
      await waitFor(async () => (await gateway.client.getClock()).consumers.length === 0);
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("carries each step's signals in its acknowledgement over the socket (no signal post), and when the gateway refuses one for a bad signal, posts them over REST so only the bad one is given up", async () => {
    const first = 300;
    const last = 330;
    const gateway = await startTestGateway({ startDate: day(first), env: { SYNTHETIC_SYMBOLS: '2' } });
    const scanner = createScanner({
      ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: gateway.url, SCANNER_TOKEN: gateway.tokens.scanner, SCANNER_LOCKSTEP: 'true', SIGNAL_POST_BACKOFF_MS: '5' }),
      PORT: 0,
    });
    ['rsi-oversold', 'golden-cross', 'volume-spike', 'breakout-20'].forEach((id) => scanner.engine.deleteRule(id));
    scanner.engine.setRule({ id: 'up-day', expression: 'close > open' });
    const poster = scanner.poster()!;
    // At one step, beside the bars' signals, one the gateway refuses (an empty rule), dated before the replay's first bar.
    const bad = { id: 'bad-signal', symbol: 'SPX', rule: '', ruleId: 'up-day', time: spx[0].time - 1, close: 100, values: {} };
    const onBar = scanner.engine.onBar.bind(scanner.engine);
    scanner.engine.onBar = (bar) => {
      onBar(bar);
      if (bar.symbol === 'SPX' && bar.time === spx[first + 20].time) poster.enqueue(bad);
    };
    const { admin } = await gateway.signedIn();
    try {
      await scanner.start();
      await admin.controlClock({ action: 'restart', startDate: day(first), endDate: day(first + 10) });
      await admin.controlClock({ action: 'lockstep' });
      const scannerAcked = async (time: number) => (await gateway.client.getClock()).consumers.find((c) => c.name === 'scanner')?.lastAckTime === time;
      await waitFor(() => scannerAcked(spx[first + 10].time), 60_000);
      // Ten steps, their signals stored, and not one HTTP signal post.
      const fired = () => scanner.engine.signals({ limit: 10_000 }).map((s) => s.id).sort();
      expect(fired().length).toBeGreaterThan(5);
      expect((await gateway.client.searchSignals({ limit: 1000 })).map((s) => s.id).sort()).toEqual(fired());
      expect(await gateway.requestCount('POST', '/api/v1/signals/batch')).toBe(0);
      expect(await gateway.requestCount('POST', '/api/v1/signals')).toBe(0);

      // The step carrying the bad signal is refused; its signals go over REST, the bad one alone is given up, and the clock goes on.
      await admin.controlClock({ action: 'restart', startDate: day(first + 11), endDate: day(last) });
      await waitFor(() => scannerAcked(spx[last].time), 60_000);
      await waitFor(() => poster.pending === 0, 60_000);
      expect({ dropped: poster.dropped, pending: poster.pending }).toEqual({ dropped: 1, pending: 0 });
      expect((await gateway.requestCount('POST', '/api/v1/signals/batch')) + (await gateway.requestCount('POST', '/api/v1/signals'))).toBeGreaterThan(0);
      expect((await gateway.client.searchSignals({ limit: 1000 })).map((s) => s.id).sort()).toEqual(fired());
    } finally {
      await scanner.stop();
      await gateway.close();
    }
  });

  it("posts the signals a step fires in one batch, and when the gateway refuses a batch, posts it again one by one so only the bad signal is given up", async () => {
    const gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
    const scanner = createScanner({
      ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: gateway.url, SCANNER_TOKEN: gateway.tokens.scanner, SIGNAL_POST_BACKOFF_MS: '5' }),
      PORT: 0,
    });
    try {
      // Dated before the clock's first bar: the gateway serves no signal dated after its clock.
      const signal = (n: number, rule = 'close > open') => ({ id: `step-${n}`, symbol: 'SPX', rule, ruleId: 'up-day', time: spx[0].time - n, close: 100, values: {} });
      const poster = scanner.poster()!;
      // Enqueued in one task, as a step's bars fire them: one request for the five.
      [1, 2, 3, 4, 5].forEach((n) => poster.enqueue(signal(n)));
      await poster.settled();
      expect(await gateway.requestCount('POST', '/api/v1/signals/batch')).toBe(1);
      expect(await gateway.requestCount('POST', '/api/v1/signals')).toBe(0);
      // A batch holding a signal the gateway refuses (an empty rule): the other two still arrive.
      [6, 7].forEach((n) => poster.enqueue(signal(n)));
      poster.enqueue(signal(8, ''));
      await poster.settled();
      expect({ delivered: poster.delivered, dropped: poster.dropped, pending: poster.pending }).toEqual({ delivered: 7, dropped: 1, pending: 0 });
      expect((await gateway.client.searchSignals({ rule: 'up-day' })).map((s) => s.id).sort()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `step-${n}`));
    } finally {
      await scanner.stop();
      await gateway.close();
    }
  });
});
