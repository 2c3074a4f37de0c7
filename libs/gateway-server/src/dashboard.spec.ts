import { GatewayClient } from '@tradeyard/gateway-contract';
import { openDatabase, unavailable } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createGateway, type Gateway } from './gateway';
import { gatewayConfigSchema } from './config';
import { secrets } from './__fixtures__/secrets';

const CHROMIUM = '/usr/bin/chromium';
const screenshots = join(__dirname, '../../../tmp');
const screenshot = (name: string) => join(screenshots, `dashboard-${name}.png`);

const chromiumMissing = unavailable(existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`);
if (chromiumMissing) {
  it.skip(`dashboard in headless Chromium: skipped: ${chromiumMissing}`, () => undefined);
} else {
  describe('dashboard in headless Chromium', () => {
    let gateway: Gateway;
    let url: string;
    let browser: Browser;
    let admin: GatewayClient;
    /** A fresh page (its own session) logged in, on the gateway at `at`. */
    const logIn = async (username: string, password: string, at = url): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${at}/`);
      await page.fill('input[name=username]', username);
      await page.fill('input[name=password]', password);
      await page.click('#login button');
      await page.waitForSelector('#status:text("live")');
      return page;
    };
    /** The real gateway on an in-memory PGlite database. */
    const startGateway = async (env: Record<string, string>) =>
      createGateway(
        {
          ...parseConfig(gatewayConfigSchema, {
            HOST: '127.0.0.1',
            LOG_LEVEL: 'silent',
            ...secrets,
            ...env,
          }),
          PORT: 0,
        },
        { database: await openDatabase({}) },
      );
    beforeAll(async () => {
      // Years of history before the clock: the chart has more bars than it shows at once.
      gateway = await startGateway({ REPLAY_BARS_PER_SECOND: '5', REPLAY_START_DATE: '2004-01-02' });
      url = await gateway.start();
      const anonymous = new GatewayClient({ baseUrl: url });
      admin = anonymous.withToken((await anonymous.login('admin', 'admin-password-1')).token);
      await admin.request('POST', '/users', { body: { username: 'watcher', password: 'watcher-pass-1', role: 'viewer' } });
      mkdirSync(screenshots, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await gateway?.stop();
    });

    it('logs in, shows live quotes, places market, limit, trailing-stop and bracket orders through the form, and shows a 400 next to it', async () => {
      const page = await logIn('admin', 'admin-password-1');
      const firstDate = await page.getAttribute('#quotes tr[data-symbol=SPX]', 'data-date');
      // Live: the replay moves the quote to a later day over the WebSocket.
      await page.waitForFunction(`document.querySelector("#quotes tr[data-symbol=SPX]")?.dataset.date !== ${JSON.stringify(firstDate)}`, undefined, { timeout: 10_000 });
      await page.fill('#order input[name=quantity]', '3');
      await page.click('#place');
      await page.waitForSelector('#positions tbody tr[data-symbol="SPX"]');
      expect(await page.textContent('#positions tbody tr[data-symbol="SPX"] td:nth-child(2)')).toBe('3');
      await page.waitForSelector('#orders tbody tr');
      expect(await page.textContent('#orders tbody tr td:nth-child(7)')).toBe('filled');

      // The orders table as rows of cells: symbol, side, type, qty, price, status.
      const orderRows = () => page.$$eval('#orders tbody tr', (rows) => rows.map((row) => [...row.children].slice(1, 7).map((cell) => cell.textContent)));
      const waitForRows = (count: number) => page.waitForFunction(`document.querySelectorAll('#orders tbody tr').length >= ${count}`, undefined, { timeout: 10_000 });

      // A limit order far below the market rests; the form shows only the price field a limit takes.
      await page.selectOption('#order select[name=type]', 'limit');
      expect(await page.isVisible('#order input[name=limitPrice]')).toBe(true);
      expect(await page.isVisible('#order input[name=stopPrice]')).toBe(false);
      await page.fill('#order input[name=quantity]', '2');
      await page.fill('#order input[name=limitPrice]', '1');
      // gtc: a day order would expire within a second, the replay moving five days a second here.
      await page.selectOption('#order select[name=timeInForce]', 'gtc');
      await page.click('#place');
      await waitForRows(2);
      expect((await orderRows())[0]).toEqual(['SPX', 'buy', 'limit', '2', 'limit 1', 'accepted']);

      // The server's 400 is shown next to the form, and the field it names is marked.
      await page.selectOption('#order select[name=type]', 'stop_limit');
      await page.fill('#order input[name=limitPrice]', '1');
      await page.click('#place');
      await page.waitForSelector('#error:text("body.stopPrice: is required for a stop_limit order")');
      expect(await page.getAttribute('#order input[name=stopPrice]', 'aria-invalid')).toBe('true');
      expect(await orderRows()).toHaveLength(2);

      // A trailing stop by percent, selling part of the position (50 %: it stays open while the test looks).
      await page.selectOption('#order select[name=type]', 'trailing_stop');
      await page.selectOption('#order select[name=side]', 'sell');
      await page.fill('#order input[name=quantity]', '1');
      await page.fill('#order input[name=trail]', '50');
      await page.selectOption('#order select[name=trailBy]', 'trailPercent');
      await page.click('#place');
      await waitForRows(3);
      expect((await orderRows())[0]).toEqual(['SPX', 'sell', 'trailing stop', '1', expect.stringMatching(/^stop [\d,.]+ · trail 50 %$/), 'accepted']);
      expect(await page.getAttribute('#order input[name=stopPrice]', 'aria-invalid')).toBeNull();

      // A bracket: a market buy whose fill places a take-profit limit and a stop-loss stop.
      const price = gateway.hub.quote('SPX')!.price;
      await page.selectOption('#order select[name=type]', 'market');
      await page.selectOption('#order select[name=side]', 'buy');
      await page.fill('#order input[name=takeProfitPrice]', String(Math.round(price * 3)));
      await page.fill('#order input[name=stopLossPrice]', String(Math.round(price / 3)));
      await page.click('#place');
      await waitForRows(6);
      const rows = await orderRows();
      expect(rows.slice(0, 3).map((row) => [row[1], row[2], row[5]]).sort()).toEqual([
        ['buy', 'market', 'filled'],
        ['sell', 'limit (bracket)', 'accepted'],
        ['sell', 'stop (bracket)', 'accepted'],
      ]);
      expect(await page.textContent('#error')).toBe('');
      await page.screenshot({ path: screenshot('orders'), fullPage: true });
      await page.close();
    }, 60_000);

    it('places market-on-open, good-till-date and one-cancels-other orders through the form, marking a refused date', async () => {
      const page = await logIn('admin', 'admin-password-1');
      // Paused: the orders rest while the test reads them.
      await admin.controlClock({ action: 'pause' });
      try {
        const topRows = (count: number) =>
          page.$$eval('#orders tbody tr', (rows, n) => rows.slice(0, n).map((row) => [...row.children].slice(2, 7).map((cell) => cell.textContent)), count);
        await page.selectOption('#order select[name=type]', 'market_on_open');
        await page.selectOption('#order select[name=side]', 'buy');
        await page.fill('#order input[name=quantity]', '1');
        await page.fill('#order input[name=takeProfitPrice]', '');
        await page.fill('#order input[name=stopLossPrice]', '');
        await page.click('#place');
        await page.waitForFunction(`document.querySelector('#orders tbody tr td:nth-child(4)').textContent === 'market on open'`, undefined, { timeout: 10_000 });
        expect(await topRows(1)).toEqual([['buy', 'market on open', '1', '', 'accepted']]);

        // The date shows with good-till-date only; one before the market date is refused and marked.
        await page.selectOption('#order select[name=type]', 'limit');
        await page.fill('#order input[name=limitPrice]', '1');
        expect(await page.isVisible('#order input[name=expireDate]')).toBe(false);
        await page.selectOption('#order select[name=timeInForce]', 'gtd');
        expect(await page.isVisible('#order input[name=expireDate]')).toBe(true);
        const today = new Date(gateway.hub.time()).toISOString().slice(0, 10);
        await page.fill('#order input[name=expireDate]', '2003-12-31');
        await page.click('#place');
        await page.waitForSelector(`#error:text("expireDate: 2003-12-31 is before the market date ${today}")`);
        expect(await page.getAttribute('#order input[name=expireDate]', 'aria-invalid')).toBe('true');
        await page.fill('#order input[name=expireDate]', today);
        await page.click('#place');
        await page.waitForFunction(`document.querySelector('#orders tbody tr td:nth-child(6)').textContent.includes('until')`, undefined, { timeout: 10_000 });
        expect(await topRows(1)).toEqual([['buy', 'limit', '1', `limit 1 · until ${today}`, 'accepted']]);
        expect(await page.getAttribute('#order input[name=expireDate]', 'aria-invalid')).toBeNull();

        // A group: a buy limit below the market and a buy stop far above, collected, then placed at once.
        await page.selectOption('#order select[name=timeInForce]', 'gtc');
        await page.click('#oco-add');
        await page.selectOption('#order select[name=type]', 'stop');
        await page.fill('#order input[name=stopPrice]', String(Math.round(gateway.hub.quote('SPX')!.price * 3)));
        await page.click('#oco-add');
        expect(await page.textContent('#oco-legs')).toBe('2 in the group: buy limit, buy stop');
        await page.click('#oco-place');
        await page.waitForFunction(`document.querySelector('#orders tbody tr td:nth-child(4)').textContent === 'stop (oco)'`, undefined, { timeout: 10_000 });
        expect((await topRows(2)).map((row) => [row[1], row[4]])).toEqual([['stop (oco)', 'accepted'], ['limit (oco)', 'accepted']]);
        expect(await page.isVisible('#oco-place')).toBe(false);
        expect(await page.textContent('#error')).toBe('');
        await page.screenshot({ path: screenshot('order-types'), fullPage: true });
      } finally {
        await admin.controlClock({ action: 'resume' });
        await page.close();
      }
    }, 60_000);

    const shownSymbols = (page: Page) => page.$$eval('#quotes tbody tr[data-symbol]', (rows) => rows.map((row) => row.getAttribute('data-symbol')));
    it('lists the whole universe in the watchlist and filters it by symbol or name', async () => {
      const page = await logIn('admin', 'admin-password-1');
      const universe = (await admin.listSymbols()).map((s) => s.symbol);
      expect(universe.length).toBeGreaterThan(100);
      const shown = () => shownSymbols(page);
      expect(await shown()).toEqual(universe);
      expect(await page.textContent('#watch-count')).toBe(`${universe.length} of ${universe.length}`);
      // The change against the previous close fills in for the universe (from the last two bars, then live).
      await page.waitForFunction(`document.querySelector('#quotes tr[data-symbol=SYN042] td:nth-child(4)')?.textContent.endsWith('%')`, undefined, { timeout: 10_000 });

      await page.fill('#filter', 'syn01');
      await page.waitForFunction(`document.querySelectorAll('#quotes tbody tr[data-symbol]').length === 10`);
      expect(await shown()).toEqual(universe.filter((s) => s.startsWith('SYN01')));
      await page.fill('#filter', 'microsoft');
      await page.waitForFunction(`document.querySelectorAll('#quotes tbody tr[data-symbol]').length === 1`);
      expect(await shown()).toEqual(['MSFT']);
      await page.fill('#filter', 'no such thing');
      await page.waitForSelector('#quotes tbody td:text("no symbol matches")');
      expect(await shown()).toEqual([]);
      await page.close();
    }, 60_000);

    it('draws the selected symbol as candles with volume and its signals as markers, in the intervals it has, and moves with the clock', async () => {
      // Paused, the bars the page draws and the ones the API answers are the same.
      await admin.controlClock({ action: 'pause' });
      const symbol = 'SYN003';
      const daily = await admin.getBars(symbol, { limit: 1000 });
      expect(daily.length).toBeGreaterThan(100);
      // One signal of a rule with an id (the scanner's: its credential posts it), one stored before rule ids were kept (its expression only).
      await new GatewayClient({ baseUrl: url, token: secrets.SCANNER_TOKEN }).postSignal({ id: `dash-1-${symbol}`, symbol, rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time: daily.at(-4)!.time, close: daily.at(-4)!.close, values: {} });
      await admin.postSignal({ id: `dash-2-${symbol}`, symbol, rule: 'close > sma(50)', time: daily.at(-15)!.time, close: daily.at(-15)!.close, values: {} });

      const page = await logIn('admin', 'admin-password-1');
      await page.fill('#filter', symbol);
      await page.click(`#quotes tr[data-symbol=${symbol}]`);
      await page.waitForSelector(`#candles[data-symbol=${symbol}][data-interval="1d"]`);
      expect(await page.getAttribute(`#quotes tr[data-symbol=${symbol}]`, 'class')).toBe('selected');
      expect(await page.inputValue('#order select[name=symbol]')).toBe(symbol);
      // The chart's own series (window.tradeyardCharts, the page's test hook) hold every bar.
      const series = () =>
        page.evaluate<{ candles: { time: number }[]; volume: unknown[]; markers: { time: number; text: string }[] }>(
          '({ candles: tradeyardCharts.candles.data(), volume: tradeyardCharts.volume.data(), markers: tradeyardCharts.markers.markers() })',
        );
      let drawn = await series();
      expect(drawn.candles.map((c) => c.time)).toEqual(daily.map((b) => b.time / 1000));
      expect(drawn.volume).toHaveLength(daily.length);
      expect(drawn.markers.map((m) => [m.time, m.text])).toEqual([
        [daily.at(-15)!.time / 1000, 'close > sma(50)'],
        [daily.at(-4)!.time / 1000, 'rsi-oversold'],
      ]);
      expect(await page.getAttribute('#candles', 'data-markers')).toBe('2');
      await page.locator('section.market').screenshot({ path: screenshot('chart') });

      // The interval selector offers what the gateway serves for the symbol; weekly bars hold the signals' days.
      const info = (await admin.listSymbols()).find((s) => s.symbol === symbol)!;
      expect(await page.$$eval('#interval option', (options) => options.map((o) => o.textContent))).toEqual(info.intervals);
      await page.selectOption('#interval', '1w');
      await page.waitForSelector('#candles[data-interval="1w"]');
      const weekly = await admin.getBars(symbol, { interval: '1w', limit: 1000 });
      drawn = await series();
      expect(drawn.candles.map((c) => c.time)).toEqual(weekly.map((b) => b.time / 1000));
      const weekOf = (time: number) => weekly.filter((b) => b.time <= time).at(-1)!.time / 1000;
      expect(drawn.markers.map((m) => m.time)).toEqual([weekOf(daily.at(-15)!.time), weekOf(daily.at(-4)!.time)]);

      // Running again, new days reach the chart: the last weekly candle grows or a new one opens.
      await page.selectOption('#interval', '1d');
      await page.waitForSelector('#candles[data-interval="1d"]');
      const lastShown = daily.at(-1)!.time / 1000;
      await admin.controlClock({ action: 'resume' });
      await page.waitForFunction(`window.tradeyardCharts.candles.data().at(-1).time > ${lastShown}`, undefined, { timeout: 10_000 });
      await page.close();
    }, 60_000);

    it('gives an admin the clock controls: pause, step, and the gateway’s 400 and 409 beside them', async () => {
      const page = await logIn('admin', 'admin-password-1');
      expect(await page.isVisible('#clock-controls')).toBe(true);
      await page.click('#clock-controls [data-clock=pause]');
      await page.waitForSelector('#clock-view[data-state=paused]');
      expect((await admin.getClock()).state).toBe('paused');
      expect(await page.isDisabled('#clock-controls [data-clock=pause]')).toBe(true);

      const before = await admin.getClock();
      await page.fill('#clock-controls input[name=bars]', '3');
      await page.click('#clock-controls [data-clock=step]');
      await page.waitForFunction(`!document.querySelector('#clock-view').textContent.startsWith(${JSON.stringify(before.date)})`);
      const after = await admin.getClock();
      expect(after.time).toBeGreaterThan(before.time);
      expect(await page.textContent('#clock-view')).toBe(`${after.date} · paused · ${after.barsPerSecond} bars/s`);

      // An empty speed is left out: the gateway names the missing field (400).
      await page.fill('#clock-controls input[name=barsPerSecond]', '');
      await page.click('#clock-controls [data-clock=speed]');
      await page.waitForSelector('#clock-error:has-text("barsPerSecond")');
      await page.fill('#clock-controls input[name=barsPerSecond]', '20');
      await page.click('#clock-controls [data-clock=speed]');
      await page.waitForFunction(`document.querySelector('#clock-error').textContent === '' && document.querySelector('#clock-view').textContent.endsWith('20 bars/s')`);
      // Stepping a running clock is refused (409), and said so.
      await page.click('#clock-controls [data-clock=resume]');
      await page.waitForSelector('#clock-view[data-state=running]');
      await page.click('#clock-controls [data-clock=step]');
      await page.waitForSelector('#clock-error:text("step moves a paused clock only: pause it first")');
      expect((await admin.getClock()).state).toBe('running');
      await page.locator('#clock-view').locator('..').screenshot({ path: screenshot('clock') });
      await admin.controlClock({ action: 'speed', barsPerSecond: 5 });
      await page.close();
    }, 60_000);

    it('shows a viewer the clock but not its controls', async () => {
      const page = await logIn('watcher', 'watcher-pass-1');
      await page.waitForSelector('#clock-view[data-state=running]');
      expect(await page.textContent('#clock-view')).toMatch(/^\d{4}-\d{2}-\d{2} · running · 5 bars\/s$/);
      expect(await page.isVisible('#clock-controls')).toBe(false);
      expect(await page.isVisible('#clock-controls [data-clock=pause]')).toBe(false);
      await page.close();
    }, 60_000);

    it('marks the symbols of a failing live venue stale, draws the first 200 of 201, and shows its wall clock as live, not controllable', async () => {
      // A venue at a closed loopback port: every poll fails at once. 201 symbols: one more than the watchlist draws.
      const symbols = Array.from({ length: 201 }, (_, i) => `C${String(i).padStart(3, '0')}USDT`);
      const venue = await startGateway({ MARKET_PROVIDER: 'binance', BINANCE_BASE_URL: 'http://127.0.0.1:9', BINANCE_SYMBOLS: symbols.join(','), VENUE_TIMEOUT_MS: '500' });
      try {
        const page = await logIn('admin', 'admin-password-1', await venue.start());
        expect(await shownSymbols(page)).toEqual(symbols.slice(0, 200));
        expect(await page.textContent('#watch-count')).toBe('200 shown, 201 of 201');
        await page.fill('#filter', 'c200');
        await page.waitForFunction(`document.querySelectorAll('#quotes tbody tr[data-symbol]').length === 1`);
        expect(await shownSymbols(page)).toEqual(['C200USDT']);
        // The symbol list is read again every 5 s: the mark appears once the first polls have failed.
        await page.waitForSelector('#quotes tr[data-symbol=C200USDT] .stale', { timeout: 15_000 });
        expect(await page.getAttribute('#quotes tr[data-symbol=C200USDT] .stale', 'title')).toMatch(/\S/);
        await page.waitForSelector('#clock-view[data-state=live]');
        expect(await page.textContent('#clock-view')).toMatch(/^\d{4}-\d{2}-\d{2} · live$/);
        await page.click('#clock-controls [data-clock=pause]');
        await page.waitForSelector('#clock-error:has-text("only a replay\'s clock can be controlled")');
        await page.close();
      } finally {
        await venue.stop();
      }
    }, 60_000);
  });
}
