import { unavailable } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createGateway, type Gateway } from './gateway';
import { gatewayConfigSchema } from './config';

const CHROMIUM = '/usr/bin/chromium';
const screenshot = join(__dirname, '../../../tmp/dashboard.png');

const chromiumMissing = unavailable(existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`);
if (chromiumMissing) {
  it.skip(`dashboard in headless Chromium: skipped: ${chromiumMissing}`, () => undefined);
} else {
  describe('dashboard in headless Chromium', () => {
    let gateway: Gateway;
    let url: string;
    let browser: Browser;
    beforeAll(async () => {
      const config = parseConfig(gatewayConfigSchema, {
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'dashboard-')),
        REPLAY_BARS_PER_SECOND: '5',
        ADMIN_PASSWORD: 'admin-password-1',
        SERVICE_TOKEN: 'service-token-0123456789',
        JWT_SECRET: 'jwt-secret-0123456789abcdef',
      });
      gateway = await createGateway({ ...config, PORT: 0 });
      url = await gateway.start();
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
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${url}/`);
      await page.fill('input[name=password]', 'admin-password-1');
      await page.click('#login button');
      await page.waitForSelector('#status:text("live")');
      const firstDate = await page.textContent('#quotes tbody tr td:nth-child(2)');
      // Live: the replay moves the quote to a later day over the WebSocket.
      await page.waitForFunction(`document.querySelector("#quotes tbody tr td:nth-child(2)")?.textContent !== ${JSON.stringify(firstDate)}`, undefined, { timeout: 10_000 });
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
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }, 60_000);
  });
}
