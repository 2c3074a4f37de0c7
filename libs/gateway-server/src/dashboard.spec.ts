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

    it('logs in, shows live quotes, and a click places an order that appears in the positions', async () => {
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
      expect(await page.textContent('#orders tbody tr td:nth-child(5)')).toBe('filled');
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }, 60_000);
  });
}
