import { unavailable } from '@tradeyard/persistence';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { sampleArenaBoard } from './arena-board';
import { startTestGateway, type TestGateway } from './test-gateway';

// The arena page (/arena) of the real gateway in headless Chromium: the runs, the board with
// statistics formatted by their columns, the benchmark row marked, and each luck verdict.
const CHROMIUM = '/usr/bin/chromium';
const screenshot = join(__dirname, '../../../tmp/arena.png');

const chromiumMissing = unavailable(existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`);
if (chromiumMissing) {
  it.skip(`arena page in headless Chromium: skipped: ${chromiumMissing}`, () => undefined);
} else {
  describe('arena page in headless Chromium', () => {
    let gateway: TestGateway;
    let browser: Browser;
    beforeAll(async () => {
      gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
      const runner = gateway.client.withToken(gateway.tokens.tradingAgent);
      await runner.publishArenaBoard(sampleArenaBoard({ runId: 'older-run', name: 'An older run', status: 'stopped', error: 'stopped by admin' }));
      await runner.publishArenaBoard(sampleArenaBoard());
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await gateway?.close();
    });

    it('signs in, lists the runs newest first and shows the newest board with its verdicts; another run on a click', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
      await page.goto(`${gateway.url}/arena`);
      await page.fill('input[name=password]', gateway.admin.password);
      await page.click('#login button');
      await page.waitForSelector('#board tbody tr');

      expect(await page.$$eval('#runs tbody tr', (rows) => rows.map((row) => row.getAttribute('data-run')))).toEqual(['sample-run', 'older-run']);
      expect(await page.textContent('#board-title')).toBe('Three agents on the S&P 500');
      expect(await page.$$eval('#board thead th', (cells) => cells.map((c) => c.textContent))).toEqual(['rank', 'agent', 'kind', 'Total return', 'Sharpe', 'Max drawdown', 'Trades', 'Fees']);
      expect(await page.getAttribute('#board thead th[data-key=sharpe]', 'class')).toBe('ranked');
      const rows = await page.$$eval('#board tbody tr', (trs) => trs.map((tr) => ({ benchmark: tr.classList.contains('benchmark'), cells: [...tr.children].map((c) => c.textContent) })));
      expect(rows).toEqual([
        { benchmark: false, cells: ['1', 'sma-cross', 'rule', '42.13 %', '0.61', '23.20 %', '48', '120.50'] },
        { benchmark: false, cells: ['2', 'gpt-local', 'llm', '30.12 %', '0.55', '30.10 %', '17', '42.00'] },
        { benchmark: false, cells: ['3', 'rsi-revert', 'rule', '-5.20 %', '-0.08', '41.20 %', '210', '525.25'] },
        { benchmark: true, cells: ['benchmark', 'buy-and-hold', 'benchmark', '9.54 %', '0.21', '56.78 %', '1', '—'] },
      ]);
      const verdicts = await page.$$eval('#comparisons li', (items) => items.map((li) => ({ luck: li.className === 'luck', verdict: li.querySelector('.verdict')?.textContent })));
      expect(verdicts).toEqual([
        { luck: true, verdict: 'not distinguishable from luck at 95%' },
        { luck: false, verdict: 'distinguishable from luck at 95%' },
      ]);
      expect(await page.textContent('#meta')).toBe('finished · lockstep · 2000-01-03 to 2020-04-17 · as of 2020-04-17 · 5105/5105 steps · 1 symbol(s) · starting cash 100,000.00');
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });

      await page.click('#runs tr[data-run=older-run]');
      await page.waitForSelector('#board-title:text("An older run")');
      expect(await page.textContent('#meta')).toContain('stopped by admin');
      expect(page.url()).toMatch(/\/arena\?run=older-run$/);
    }, 60_000);
  });
}
