import type { ArenaBoard } from '@tradeyard/gateway-contract';
import { STATISTICS } from '@tradeyard/performance';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sampleArenaBoard } from './arena-board';
import { chromiumMissing, launchChromium } from './browser';
import { startTestGateway, type TestGateway } from './test-gateway';

// The arena page (/arena) of the real gateway in headless Chromium: the runs with their progress,
// the board with statistics formatted by their columns and the benchmark row marked, an equity
// chart per agent, each luck verdict once with its numbers rounded, a table that never makes the
// page scroll sideways, and the start form and Stop buttons for admins only. (Starting and stopping
// a real run from the page: libs/arena-integration/src/arena-page.spec.ts.)
const screenshot = join(__dirname, '../../../tmp/arena-page.png');

/** A board with every statistic the runner publishes (37 columns): wider than any screen. */
const wideBoard = (): ArenaBoard => {
  const sample = sampleArenaBoard();
  const columns = STATISTICS.map(({ key, label, format, better }) => ({ key, label, format, better }));
  return {
    ...sample,
    runId: 'wide-run',
    name: 'Every statistic',
    columns,
    rows: sample.rows.map((row, r) => ({ ...row, statistics: Object.fromEntries(columns.map((c, k) => [c.key, (r + 1) * (k + 1) * 1234.5678])) })),
  };
};

if (chromiumMissing) {
  it.skip(`arena page in headless Chromium: skipped: ${chromiumMissing}`, () => undefined);
} else {
  describe('arena page in headless Chromium', () => {
    let gateway: TestGateway;
    let browser: Browser;
    const logIn = async (username: string, password: string, width = 1280, path = '/arena'): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`${gateway.url}${path}`);
      await page.fill('input[name=username]', username);
      await page.fill('input[name=password]', password);
      await page.click('#login button');
      await page.waitForSelector('#board tbody tr');
      return page;
    };
    /** The page's own horizontal overflow, and the board table's box against it. */
    const widths = (page: Page) =>
      page.evaluate<{ page: number; pageScroll: number; wrapRight: number; wrapClient: number; tableScroll: number }>(`({
        page: document.documentElement.clientWidth,
        pageScroll: document.documentElement.scrollWidth,
        wrapRight: document.querySelector('.table-wrap').getBoundingClientRect().right,
        wrapClient: document.querySelector('.table-wrap').clientWidth,
        tableScroll: document.querySelector('#board').scrollWidth,
      })`);

    beforeAll(async () => {
      // No trading agent at all: the page reads boards from the gateway, and says why runs cannot start.
      gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2', TRADING_AGENT_URL: 'http://127.0.0.1:9' } });
      await gateway.signedIn(); // makes the viewer "watcher"
      const runner = gateway.client.withToken(gateway.tokens.tradingAgent);
      await runner.publishArenaBoard(wideBoard());
      await runner.publishArenaBoard(sampleArenaBoard({ runId: 'older-run', name: 'An older run', status: 'stopped', error: 'stopped by admin' }));
      await runner.publishArenaBoard(sampleArenaBoard({ runId: 'running-run', name: 'Still running', status: 'running', currentDate: '2001-01-02', stepsDone: 250, updatedAt: 1_700_000_000_001 }));
      await runner.publishArenaBoard(sampleArenaBoard({ updatedAt: 1_700_000_000_002 }));
      browser = await launchChromium();
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await gateway?.close();
    });

    it('shows the newest board: its table, an equity chart per agent, and each luck verdict once, rounded', async () => {
      const page = await logIn('admin', gateway.admin.password);
      expect(await page.$$eval('#runs tbody tr', (rows) => rows.map((row) => row.getAttribute('data-run')))).toEqual(['sample-run', 'running-run', 'older-run', 'wide-run']);
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
      expect(await page.textContent('#meta')).toBe('finished · lockstep · 2000-01-03 to 2020-04-17 · as of 2020-04-17 · 5105/5105 steps · 1 symbol(s) · starting cash 100,000.00');

      // One line per compared pair: the verdict as the board words it, its numbers rounded, nothing repeated.
      const verdicts = await page.$$eval('#comparisons li', (items) => items.map((li) => ({ luck: li.className === 'luck', pair: li.dataset.pair, text: li.textContent })));
      expect(verdicts).toEqual([
        { luck: true, pair: 'sma-cross vs gpt-local', text: 'sma-cross vs gpt-local: Sharpe difference 0.0014 (95% interval \u22120.88 to 0.91): not distinguishable from luck' },
        { luck: false, pair: 'gpt-local vs rsi-revert', text: 'gpt-local vs rsi-revert: Sharpe difference 0.63 (95% interval 0.12 to 1.10): distinguishable from luck' },
        { luck: true, pair: 'sma-cross vs buy-and-hold', text: 'sma-cross vs buy-and-hold: Sharpe difference 0.40 (95% interval \u22120.052 to 0.86): not distinguishable from luck' },
      ]);
      expect(await page.textContent('#method')).toBe('By paired stationary bootstrap of the annualised Sharpe difference (2000 resamples, mean block 10 bars).');

      // A chart per agent (lightweight-charts draws on canvas), each with the agent's whole curve.
      const curves = await page.$$eval('#curves figure', (figures) => figures.map((f) => ({ agent: f.dataset.agent, points: f.dataset.points, canvases: f.querySelectorAll('canvas').length, height: f.querySelector('canvas')?.getBoundingClientRect().height })));
      expect(curves.map((c) => [c.agent, c.points])).toEqual([['sma-cross', '500'], ['gpt-local', '500'], ['rsi-revert', '500']]);
      for (const curve of curves) {
        expect(curve.canvases).toBeGreaterThan(0);
        expect(curve.height).toBeGreaterThan(100);
      }
      expect(await page.textContent('#curves figure[data-agent=sma-cross] figcaption')).toBe('sma-cross · 42.13 %');
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      await page.close();
    }, 60_000);

    it.each([1280, 390])('fits the page at %i px: the widest table scrolls inside its own box, the page never sideways', async (width) => {
      const page = await logIn('admin', gateway.admin.password, width, '/arena?run=wide-run');
      await page.waitForSelector('#board-title:text("Every statistic")');
      expect(await page.$$eval('#board thead th', (cells) => cells.length)).toBe(3 + STATISTICS.length);
      await page.waitForSelector('#curves figure[data-agent=rsi-revert] canvas');
      const measured = await widths(page);
      expect(measured.pageScroll).toBeLessThanOrEqual(measured.page);
      expect(measured.wrapRight).toBeLessThanOrEqual(measured.page);
      expect(measured.tableScroll).toBeGreaterThan(measured.wrapClient); // it scrolls there, not the page
      // The five-column board fits its box without scrolling at all on a wide screen.
      await page.click('#runs tr[data-run=sample-run]');
      await page.waitForSelector('#board-title:text("Three agents on the S&P 500")');
      const sample = await widths(page);
      expect(sample.pageScroll).toBeLessThanOrEqual(sample.page);
      if (width === 1280) expect(sample.tableScroll).toBeLessThanOrEqual(sample.wrapClient);
      await page.close();
    }, 60_000);

    it('gives an admin the start form and Stop, and says so when the trading agent cannot be reached', async () => {
      const page = await logIn('admin', gateway.admin.password);
      expect(await page.isVisible('#start-section')).toBe(true);
      await page.waitForSelector('#start-error:has-text("Runs start on the trading agent: trading agent unavailable")');
      expect(await page.isDisabled('#start-button')).toBe(true);
      const running = page.locator('#runs tr[data-run=running-run]');
      expect(await running.locator('.state').textContent()).toBe('running Stop');
      expect(await running.locator('.steps').textContent()).toBe('250/5105');
      expect(await running.locator('progress').getAttribute('value')).toBe('250');
      await running.locator('button[data-stop]').click();
      await page.waitForSelector('#runs-error:has-text("trading agent unavailable")');
      expect(await page.$$eval('#runs button[data-stop]', (buttons) => buttons.map((b) => b.dataset.stop))).toEqual(['running-run']);
      await page.close();
    }, 60_000);

    it('shows a viewer the runs, boards and progress, but no start form and no Stop', async () => {
      const page = await logIn('watcher', 'watcher-pass-1');
      await page.waitForSelector('#start-section', { state: 'detached' });
      expect(await page.$('#start-form')).toBeNull();
      expect(await page.$('#start-section')).toBeNull();
      expect(await page.$$('#runs button')).toHaveLength(0);
      expect(await page.locator('#runs tr[data-run=running-run] .state').textContent()).toBe('running');
      expect(await page.locator('#runs tr[data-run=running-run] .steps').textContent()).toBe('250/5105');
      await page.click('#runs tr[data-run=older-run]');
      await page.waitForSelector('#board-title:text("An older run")');
      expect(await page.textContent('#meta')).toContain('stopped by admin');
      expect(page.url()).toMatch(/\/arena\?run=older-run$/);
      await page.close();
    }, 60_000);
  });
}
