// Arena runs on a gateway that charges fees: an LLM agent's resting limit orders reach the board
// when they fill, and live runs act once on each bar the running clock releases.
import type { GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { createLogger } from '@tradeyard/service-kit';
import { parseArenaConfig, startArenaRun } from '@tradeyard/arena';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tradeyard/gateway-testing';
import { modelReply, startArenaHarness, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-live-test', 'silent');
/** 2008-09-02: from here SPX dips 1 % below a close within 1 to 4 bars, every time (the autumn of 2008). */
const SEPT_2008 = spx.findIndex((bar) => isoDate(bar.time) >= '2008-09-02');

let harness: ArenaHarness;
let admin: GatewayClient;
let dir: string;

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2', FEE_BPS: '10' } });
  admin = harness.admin;
  dir = mkdtempSync(join(tmpdir(), 'arena-live-'));
}, 120_000);
afterAll(async () => {
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

const events = (out: string) => readFileSync(join(out, 'run.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const hold = { kind: 'rule' as const, name: 'hold', strategy: { name: 'buy-and-hold' as const } };
const sma = { kind: 'rule' as const, name: 'sma', strategy: { name: 'sma-cross' as const, fast: 2, slow: 4 } };

/**
 * The test gateway's replay stands still until the test moves it: this runs it, one bar every
 * `everyMs` (a replay speed far above real time, well below an agent's turn), until stopped.
 */
/**
 * A running clock: one bar every `everyMs`, but while `stepsDone` says how far a run got, never a
 * bar the run has not caught up with: a live run skips the bars it was too slow for, and a loaded
 * machine must not make it.
 */
async function runClock(from: string, everyMs: number, stepsDone: () => number = () => Infinity) {
  await admin.controlClock({ action: 'restart', startDate: from });
  await admin.controlClock({ action: 'resume' });
  let released = 0;
  const timer = setInterval(() => {
    if (released >= stepsDone()) return;
    released++;
    void harness.gateway.clock.advance(1);
  }, everyMs);
  return { released: () => released, stop: () => clearInterval(timer) };
}

describe('arena orders and live runs', () => {
  it("counts an LLM agent's resting limit orders in the board's trades and fees once they fill", async () => {
    // Every third step the model buys 3 SPX with a good-till-cancelled limit 1 % below the price: it rests, then fills.
    const model = await startModelApi((body) => modelReply(body, 3, (price) => ({ limitPrice: Math.round(price * 0.99 * 100) / 100, timeInForce: 'gtc' })));
    const out = join(dir, 'resting');
    const config = parseArenaConfig({
      name: 'resting', costs: { feeBps: 10 }, market: { symbols: ['SPX'], from: day(SEPT_2008), to: day(SEPT_2008 + 24) },
      agents: [{ kind: 'llm', name: 'llm', baseUrl: model.base, model: 'm', apiKeyVar: 'MODEL_API_KEY', maxSteps: 4 }],
    });
    const run = startArenaRun({ config, outDir: out, mcpUrl: harness.mcpUrl, admin, env: { MODEL_API_KEY: 'sk' }, log });
    const board = await run.done;
    await model.close();
    expect(board.status).toBe('finished');
    const accountId = `arena:${run.runId}:llm`;

    // Each order rested when placed; the gateway filled them on later bars.
    const placed = events(out).filter((e) => e.type === 'order');
    expect(placed).toHaveLength(9);
    for (const e of placed) expect(e.order).toMatchObject({ type: 'limit', status: 'accepted', filledQuantity: 0 });
    const fills = await harness.gateway.gateway.db.query<{ quantity: string; price: string; fee: string; time: string }>('SELECT quantity, price, fee, time FROM fills WHERE account_id = $1 ORDER BY seq', [accountId]);
    expect(fills.length).toBeGreaterThanOrEqual(8);

    // The recording and the board have every one of them, at the bar that filled it.
    const recorded = events(out).filter((e) => e.type === 'fill');
    expect(recorded.map((f) => ({ quantity: f.quantity, price: f.price, fees: f.fees, time: f.time }))).toEqual(
      fills.map((f) => ({ quantity: Number(f.quantity), price: expect.closeTo(Number(f.price), 6), fees: expect.closeTo(Number(f.fee), 6), time: Number(f.time) })),
    );
    const row = board.rows.find((r) => r.agent === 'llm')!;
    expect(row.statistics.fees).toBeCloseTo(fills.reduce((sum, f) => sum + Number(f.fee), 0), 6);
    expect(row.statistics.fees).toBeGreaterThan(0);
    // Only buys: one open round trip holding every filled share.
    expect(row.statistics.trades).toBe(1);
  }, 300_000);

  it('acts once on each bar a running clock releases, never twice, and stops after market.steps', async () => {
    const pace = { stepsDone: () => Infinity };
    const clock = await runClock(day(300), 400, () => pace.stepsDone());
    // Stopped however the test ends: a clock left running would tick a closed gateway in the next suite.
    try {
      const out = join(dir, 'live');
      const run = startArenaRun({ config: parseArenaConfig({ name: 'live', market: { live: true, symbols: ['SPX'], steps: 4 }, agents: [hold, sma] }), outDir: out, mcpUrl: harness.mcpUrl, admin, env: {}, log });
      pace.stepsDone = () => (run.status().status === 'running' ? run.status().stepsDone : Infinity);
      const board = await run.done;
      expect(board).toMatchObject({ status: 'finished', mode: 'live', stepsDone: 4, stepsTotal: 4 });

      const turns = events(out).filter((e) => e.type === 'turn');
      for (const agent of ['hold', 'sma']) {
        const dates = turns.filter((t) => t.agent === agent).map((t) => t.date as string);
        // Four turns, on four consecutive trading days: one per released bar, none repeated, none skipped.
        expect(dates).toHaveLength(4);
        const first = spx.findIndex((bar) => isoDate(bar.time) === dates[0]);
        expect(first).toBeGreaterThanOrEqual(300);
        expect(dates).toEqual([0, 1, 2, 3].map((k) => day(first + k)));
      }
      // After the last step it stops: the clock runs on, the agents do not (nothing new while it
      // releases more bars, each of which a run that went on would act on).
      const settled = events(out).length;
      const released = clock.released();
      await waitFor(() => clock.released() >= released + 3);
      clock.stop();
      expect((await admin.getClock()).date > board.currentDate!).toBe(true);
      expect(events(out).length).toBe(settled);
    } finally {
      clock.stop();
    }
  }, 120_000);

  it('stops a live run without steps when asked', async () => {
    const clock = await runClock(day(400), 100);
    // Stopped however the test ends: a clock left running would tick a closed gateway in the next suite.
    try {
      const out = join(dir, 'live-stop');
      const run = startArenaRun({ config: parseArenaConfig({ name: 'live-stop', market: { live: true, symbols: ['SPX'] }, agents: [hold] }), outDir: out, mcpUrl: harness.mcpUrl, admin, env: {}, log });
      while (run.status().stepsDone < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(run.status()).toMatchObject({ status: 'running', stepsTotal: null });
      const board = await run.stop();
      expect(board).toMatchObject({ status: 'stopped', mode: 'live', stepsTotal: null });
      // The first turn acts on the bar standing at the start, before the clock released any.
      expect(board.stepsDone).toBeLessThanOrEqual(clock.released() + 1);
      const turns = events(out).filter((e) => e.type === 'turn');
      expect(turns).toHaveLength(board.stepsDone);
      expect(new Set(turns.map((t) => t.date)).size).toBe(turns.length);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(events(out).filter((e) => e.type === 'turn')).toHaveLength(board.stepsDone);
    } finally {
      clock.stop();
    }
  }, 60_000);
});
