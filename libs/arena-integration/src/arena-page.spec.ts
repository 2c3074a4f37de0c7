// The arena page running a real arena in headless Chromium: the real gateway (in-process, PGlite),
// the real MCP tools, and the trading agent's arena API (libs/arena's routes, admitting the
// admin's login token with the gateway's JWT_SECRET, as the trading agent does). The admin starts
// a run from the form built from the config's schema, sees a bad field's rule beside it, watches
// the progress, and stops the run; its board comes back stopped with a curve per agent.
import { chromiumMissing, launchChromium, testGatewaySecrets } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { freePort } from '@tradeyard/persistence';
import { bearerVerifier } from '@tradeyard/service-kit';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArenaHarness, startArenaService, type ArenaHarness } from './__fixtures__/harness';

const screenshot = join(__dirname, '../../../tmp/arena-run.png');
const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);

if (chromiumMissing) {
  it.skip(`arena page running an arena in headless Chromium: skipped: ${chromiumMissing}`, () => undefined);
} else {
  describe('arena page running an arena in headless Chromium', () => {
    let harness: ArenaHarness;
    let agent: Awaited<ReturnType<typeof startArenaService>>;
    let browser: Browser;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'arena-page-'));
      // The gateway forwards to the trading agent's port, the trading agent reaches the gateway: one is known first.
      const agentPort = await freePort();
      harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2', TRADING_AGENT_URL: `http://127.0.0.1:${agentPort}` } });
      const { gateway, mcpUrl } = harness;
      agent = await startArenaService(
        { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, TRADING_AGENT_TOKEN: gateway.tokens.tradingAgent, MCP_URL: mcpUrl, DATA_DIR: dir },
        bearerVerifier({ jwtSecret: testGatewaySecrets.JWT_SECRET }),
        { port: agentPort },
      );
      await agent.start();
      browser = await launchChromium();
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await agent?.app.close();
      await harness?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const field = (path: string) => `#start-form [data-path="${path}"]`;
    const stepsShown = (page: Page, runId: string) => page.$eval(`#runs tr[data-run="${runId}"] .steps`, (span) => Number(span.textContent!.split('/')[0]));

    it('starts a run from the form, shows a bad field’s rule beside it, follows the progress and stops the run', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(`${harness.gateway.url}/arena`);
      await page.fill('input[name=password]', harness.gateway.admin.password);
      await page.click('#login button');
      await page.waitForSelector('#no-runs:visible');
      await page.click('#start summary');
      // The form is the config's schema: the market's kinds, an agent's kinds and a rule agent's strategies, defaults filled.
      await page.waitForSelector(field('agents.0.strategy'));
      expect(await page.$$eval(`${field('market')} > legend > select option`, (options) => options.map((o) => o.textContent))).toEqual(['over history', 'live']);
      expect(await page.$$eval(`${field('agents.0')} > legend > select option`, (options) => options.map((o) => o.textContent))).toEqual(['rule', 'llm', 'strategy']);
      expect(await page.$$eval(`${field('agents.0.strategy')} > legend > select option`, (options) => options.map((o) => o.textContent))).toEqual(['buy-and-hold', 'sma-cross', 'rsi-reversion', 'breakout']);
      expect(await page.inputValue(`${field('startingCash')} input`)).toBe('100000');

      await page.fill(`${field('name')} input`, 'From the page');
      await page.fill(`${field('market.symbols')} input`, 'SPX');
      await page.fill(`${field('market.from')} input`, day(100));
      await page.fill(`${field('market.to')} input`, day(3000));
      await page.fill(`${field('agents.0.name')} input`, 'sma');
      await page.selectOption(`${field('agents.0.strategy')} > legend > select`, { label: 'sma-cross' });
      expect(await page.inputValue(`${field('agents.0.strategy.fast')} input`)).toBe('50');
      await page.fill(`${field('agents.0.strategy.fast')} input`, '9');
      await page.fill(`${field('agents.0.strategy.slow')} input`, '3');
      await page.click('#start-form button.add');
      await page.fill(`${field('agents.1.name')} input`, 'hold');

      // The trading agent's 400 names the field: its rule shows beside that field, and nothing starts.
      await page.click('#start-button');
      const fastError = `${field('agents.0.strategy.fast')} > .field-error`;
      await page.waitForSelector(`${fastError}:text("agents.0.strategy.fast: fast must be less than slow")`);
      expect(await page.getAttribute(`${field('agents.0.strategy.fast')} input`, 'aria-invalid')).toBe('true');
      expect(await page.textContent('#start-error')).toBe('');
      expect(await harness.admin.listArenaRuns()).toEqual([]);

      await page.fill(`${field('agents.0.strategy.fast')} input`, '2');
      await page.fill(`${field('agents.0.strategy.slow')} input`, '4');
      await page.click('#start-button');
      await page.waitForSelector('#start-status:has-text("Started")');
      expect(await page.textContent(fastError)).toBe('');
      const runId = (await page.textContent('#start-status'))!.match(/^Started (\S+)\.$/)![1];

      // The run shows after its first step and its progress moves while it runs.
      await page.waitForSelector(`#runs tr[data-run="${runId}"][data-status=running] button[data-stop]`);
      expect(await page.textContent(`#runs tr[data-run="${runId}"] .steps`)).toMatch(/^\d+\/2901$/);
      const first = await stepsShown(page, runId);
      await page.waitForFunction(`Number(document.querySelector('#runs tr[data-run="${runId}"] .steps').textContent.split('/')[0]) > ${first + 50}`);
      expect(await page.textContent('#board-title')).toBe('From the page');
      expect(page.url()).toMatch(new RegExp(`/arena\\?run=${runId}$`));

      // Stop: the run ends after its current step, its final board published as stopped.
      await page.click(`#runs tr[data-run="${runId}"] button[data-stop]`);
      await page.waitForSelector(`#runs tr[data-run="${runId}"][data-status=stopped]`);
      expect(await page.$$(`#runs button[data-stop]`)).toHaveLength(0);
      await page.waitForSelector('#meta:has-text("stopped")');
      const board = await harness.admin.getArenaBoard(runId);
      expect(board).toMatchObject({ status: 'stopped', stepsTotal: 2901 });
      expect(board.stepsDone).toBeLessThan(2901);
      expect(await page.textContent(`#runs tr[data-run="${runId}"] .steps`)).toBe(`${board.stepsDone}/2901`);

      // A curve per agent with every step the run took; each verdict once, rounded.
      const curves = await page.$$eval('#curves figure', (figures) => figures.map((f) => ({ agent: f.dataset.agent, points: Number(f.dataset.points), canvas: f.querySelector('canvas') !== null })));
      expect(curves.map((c) => c.agent).sort()).toEqual(['hold', 'sma']);
      for (const curve of curves) {
        const equity = board.rows.find((r) => r.agent === curve.agent)!.equity!;
        expect(curve).toEqual({ agent: curve.agent, canvas: true, points: equity.length });
        // One point a step, sampled down past 500.
        if (board.stepsDone <= 500) expect(equity).toHaveLength(board.stepsDone);
        else expect(equity.length).toBeLessThanOrEqual(500);
      }
      const verdicts = await page.$$eval('#comparisons li', (items) => items.map((li) => li.textContent!));
      expect(verdicts).toEqual(board.comparisons.map((c) => c.verdict));
      expect(verdicts).toHaveLength(3);
      for (const verdict of verdicts) {
        expect(verdict).toMatch(/^(sma|hold) vs (sma|hold|buy-and-hold): Sharpe difference −?\d+\.\d+ \(95% interval −?\d+\.\d+ to −?\d+\.\d+\): (not )?distinguishable from luck$/);
        expect(verdict).not.toMatch(/\d\.\d{5}/);
      }
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      await page.close();
    }, 240_000);
  });
}
