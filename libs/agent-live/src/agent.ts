import type { Bar } from '@tradeyard/market-data';
import type { Order, Portfolio, QuoteDto, Signal } from '@tradeyard/gateway-contract';
import { fromMicros, toMicros } from '@tradeyard/money';
import { createStrategy } from '@tradeyard/strategies';
import { resolveSdkStrategy } from '@tradeyard/strategy-loader';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isSdkStrategy, type AgentStrategy, type LiveAgentConfig, type SdkStrategyRef } from './config';
import { decideWithLlm } from './llm';
import { McpToolsClient } from './mcp-tools-client';
import { registerRunRoutes } from './routes';
import { RunLog } from './run-log';
import { LiveStrategy } from './strategy-runner';
import { fileStateStore } from './strategy-state';

/** Bars replayed through a fresh strategy each cycle: enough warm-up for the longest default (SMA 200). */
export const HISTORY_BARS = 500;
/** Share of each symbol's allocation kept in cash, so fees and the fill price moving do not reject a full buy. */
const CASH_BUFFER = 0.005;
/** Trades smaller than this share of the allocation are skipped (rounding noise, not a decision). */
const MIN_TRADE_SHARE = 0.01;

export interface LiveAgentStatus {
  runId: string;
  /** strategy: an SDK strategy (AGENT_STRATEGY=file:... or a STRATEGIES_DIR name) decides on each new bar. */
  mode: 'rule-based' | 'llm' | 'strategy';
  modeReason: string;
  strategy: AgentStrategy;
  symbols: string[];
  cycles: number;
  /** An SDK strategy's steps: the bars of the market clock it decided on since the agent started. */
  steps?: number;
  running: boolean;
  /** Why the loop stopped: an SDK strategy that failed to load, or one whose decision broke a rule. */
  error?: string;
}

export interface LiveAgentHandle {
  status(): LiveAgentStatus;
  /** Runs one cycle now (tests, manual triggers); cycles never overlap. */
  runCycle(): Promise<void>;
  /** Stops scheduling, lets the current cycle finish, records run_end and closes the MCP client. */
  stop(): Promise<void>;
  /** The agent's /ready check: throws why the loop stopped (an SDK strategy that failed), else reports its mode. */
  readiness(): string;
}

/**
 * The signed quantity to trade to move from `held` to the target exposure. The target is cut
 * toward zero to 1e-4 shares (never more than the allocation buys); the difference is taken in
 * the broker's micro-units, so a target of 0 sells exactly what is held — never more, never less.
 */
export function sizeOrder(exposure: number, allocation: number, price: number, held: number): { targetQuantity: number; delta: number } {
  const targetQuantity = Math.trunc(((exposure * allocation) / price) * 1e4) / 1e4;
  return { targetQuantity, delta: fromMicros(toMicros(targetQuantity) - toMicros(held)) };
}

/**
 * A rule strategy's trade in one symbol: the target is the exposure of an equal share of the
 * equity (less a cash buffer); a change under MIN_TRADE_SHARE of that share is not traded.
 * The live agent and the arena's rule agents both decide with it.
 */
export function planTrade(input: { exposure: number; equity: number; symbolCount: number; price: number; held: number }) {
  const allocation = (input.equity * (1 - CASH_BUFFER)) / input.symbolCount;
  const { targetQuantity, delta } = sizeOrder(input.exposure, allocation, input.price, input.held);
  const trade = Math.abs(delta) * input.price >= MIN_TRADE_SHARE * allocation && delta !== 0;
  return { targetQuantity, delta, action: trade ? (delta > 0 ? ('buy' as const) : ('sell' as const)) : ('hold' as const) };
}

/**
 * Starts the live paper-trading loop: every AGENT_INTERVAL_MS, for each symbol, read price, history,
 * signals and portfolio through the MCP tools, decide (a built-in rule-based strategy, or the model
 * in LLM mode) and place orders through the tools. An SDK strategy (AGENT_STRATEGY=file:... or a
 * STRATEGIES_DIR name) instead decides on each new bar of the market clock (LiveStrategy). Everything is recorded under DATA_DIR/agent-runs/.
 * With `app`, GET /api/v1/runs and /api/v1/runs/:id are registered on it.
 */
export function startLiveAgent(config: LiveAgentConfig, deps: { log: Logger; app?: FastifyInstance; autoStart?: boolean }): LiveAgentHandle {
  const { log } = deps;
  const runsDir = join(config.DATA_DIR, 'agent-runs');
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const runLog = new RunLog(runsDir, runId);
  const tools = new McpToolsClient(config.MCP_URL, config.MCP_AUTH_TOKEN);
  const sdkRef = isSdkStrategy(config.AGENT_STRATEGY) ? config.AGENT_STRATEGY : undefined;
  const builtin = isSdkStrategy(config.AGENT_STRATEGY) ? undefined : config.AGENT_STRATEGY;
  const mode = config.OPENAI_API_KEY ? 'llm' : sdkRef ? 'strategy' : 'rule-based';
  const modeReason = config.OPENAI_API_KEY
    ? `decisions by ${config.OPENAI_MODEL} at ${config.OPENAI_API_BASE}, at most ${config.AGENT_MAX_STEP} steps each`
    : sdkRef
      ? `OPENAI_API_KEY is not set: decisions by the strategy ${sdkRef.ref} on each new bar of the market clock`
      : `OPENAI_API_KEY is not set: decisions by the ${builtin!.name} strategy`;
  const state: { cycles: number; running: boolean; symbols: string[]; error?: string } = { cycles: 0, running: true, symbols: config.AGENT_SYMBOLS };
  let sdk: LiveStrategy | undefined;
  const status = (): LiveAgentStatus => ({ runId, mode, modeReason, strategy: config.AGENT_STRATEGY, ...state, ...(sdk ? { steps: sdk.steps } : {}) });

  log.info({ runId, mode, strategy: config.AGENT_STRATEGY, symbols: config.AGENT_SYMBOLS, mcp: config.MCP_URL }, `live agent runs ${mode}: ${modeReason}`);
  runLog.record('run_start', { runId, mode, modeReason, strategy: config.AGENT_STRATEGY, symbols: config.AGENT_SYMBOLS, intervalMs: config.AGENT_INTERVAL_MS });
  if (deps.app) registerRunRoutes(deps.app, runsDir, status);

  /** Stops the loop for good with one logged error (a strategy that cannot load or decided against a rule); /ready says why. */
  const stopLoop = (message: string) => {
    state.running = false;
    state.error = message;
    clearTimeout(timer);
    log.error({ runId, strategy: config.AGENT_STRATEGY }, `live agent stopped: ${message}`);
  };

  /** Loads the SDK strategy once: its file, its parameters, its state in DATA_DIR; a failure stops the loop naming the file, the key and the rule. */
  let loading: Promise<LiveStrategy | undefined> | undefined;
  const loadSdk = (ref: SdkStrategyRef) =>
    (loading ??= (async () => {
      try {
        const { name, file, strategy } = await resolveSdkStrategy(ref.ref, ref.params, { strategiesDir: config.STRATEGIES_DIR });
        state.symbols = strategy.universe === 'all' ? config.AGENT_SYMBOLS : [...strategy.universe];
        const record = (type: 'decision' | 'error', fields: Record<string, unknown>) => runLog.record(type, { cycle: state.cycles, ...fields });
        sdk = new LiveStrategy({ strategy, symbols: state.symbols, tools, store: fileStateStore(config.DATA_DIR, name), record });
        log.info({ runId, strategy: name, file, params: strategy.params, symbols: state.symbols, instance: sdk.instance }, `live agent trades ${name} (${file})`);
        return sdk;
      } catch (err) {
        const message = (err as Error).message;
        runLog.record('error', { cycle: state.cycles, stage: 'load', message, stopped: true });
        stopLoop(message);
        return undefined;
      }
    })());

  /** An SDK strategy's cycle: decide on each new bar; a strategy that fails stops the loop, a tool that fails is retried next cycle. */
  async function strategyCycle(cycle: number, ref: SdkStrategyRef) {
    const strategy = await loadSdk(ref);
    if (!strategy) return;
    const { orders } = await strategy.cycle();
    for (const placed of orders) if (placed.order) recordOrder(cycle, placed.order, placed.reason);
    if (strategy.failure) stopLoop(strategy.failure);
  }

  const failed = (cycle: number, step: string, err: unknown, symbol?: string) => {
    const message = (err as Error)?.message ?? String(err);
    log.warn({ cycle, step, symbol, err: message }, 'live agent step failed; continuing');
    runLog.record('error', { cycle, step, symbol, message });
  };

  const recordOrder = (cycle: number, order: Order, reason?: string | null) => {
    runLog.record('order', { cycle, order, ...(reason ? { reason } : {}) });
    if (order.filledQuantity > 0) {
      runLog.record('fill', { cycle, orderId: order.id, symbol: order.symbol, side: order.side, quantity: order.filledQuantity, price: order.avgFillPrice, fees: order.fees });
    }
  };

  async function tradeSymbol(cycle: number, symbol: string) {
    const quote = await tools.call<QuoteDto>('get_price', { symbol });
    const { bars } = await tools.call<{ bars: Bar[] }>('get_history', { symbol, limit: HISTORY_BARS });
    const { signals } = await tools.call<{ signals: Signal[] }>('search_signals', { symbol, limit: 10 });
    const portfolio = await tools.call<Portfolio>('get_portfolio');

    // Replaying the window through a fresh instance makes each decision depend only on the
    // history the tools return, so a restarted agent decides exactly as a long-running one.
    const strategy = createStrategy(builtin!);
    let exposure = 0;
    for (const bar of bars) exposure = strategy.onBar(bar);
    const held = portfolio.positions.find((p) => p.symbol === symbol)?.quantity ?? 0;
    const { targetQuantity, delta, action } = planTrade({ exposure, equity: portfolio.equity, symbolCount: config.AGENT_SYMBOLS.length, price: quote.price, held });
    runLog.record('decision', {
      cycle, symbol, strategy: strategy.name, price: quote.price, priceDate: quote.date, bars: bars.length,
      recentSignals: signals.map((s) => ({ id: s.id, rule: s.rule, time: s.time })), exposure, held, targetQuantity, action,
    });
    if (action === 'hold') return;
    // One id per run, cycle and symbol: a retried call cannot trade twice.
    const order = await tools.call<Order>(action, { symbol, quantity: Math.abs(delta), clientOrderId: `${runId}-${cycle}-${symbol}` });
    recordOrder(cycle, order);
  }

  async function decideByModel(cycle: number) {
    const decision = await decideWithLlm(
      { baseURL: config.OPENAI_API_BASE, apiKey: config.OPENAI_API_KEY!, model: config.OPENAI_MODEL, maxSteps: config.AGENT_MAX_STEP },
      tools,
      [
        {
          role: 'system',
          content:
            'You are a trading agent on a paper account. You act only through the tools: read prices, history, signals and the portfolio, use calculate for arithmetic, and place orders with buy and sell. Keep some cash for fees. When done, answer with a one-line summary of what you did and why.',
        },
        {
          role: 'user',
          content: `Cycle ${cycle}. Symbols: ${config.AGENT_SYMBOLS.join(', ')}. Reference strategy: ${JSON.stringify(config.AGENT_STRATEGY)} (target the exposure it implies unless the data clearly argues otherwise). Use clientOrderId "${runId}-${cycle}-<symbol>" on orders.`,
        },
      ],
    );
    for (const call of decision.toolCalls) {
      if ((call.name === 'buy' || call.name === 'sell') && call.result.structuredContent) recordOrder(cycle, call.result.structuredContent as unknown as Order);
      else if (call.result.isError) runLog.record('error', { cycle, step: call.name, message: (call.result.content[0] as { text?: string })?.text });
    }
    runLog.record('llm_transcript', { cycle, model: config.OPENAI_MODEL, steps: decision.steps, stoppedBy: decision.stoppedBy, final: decision.final, messages: decision.transcript });
    runLog.record('decision', { cycle, mode: 'llm', steps: decision.steps, stoppedBy: decision.stoppedBy, toolCalls: decision.toolCalls.map((c) => c.name), summary: decision.final });
    if (decision.stoppedBy === 'step_limit') log.warn({ cycle, steps: decision.steps }, 'LLM decision stopped at AGENT_MAX_STEP');
  }

  let current: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const runCycle = () => {
    current = current.then(async () => {
      if (state.error) return;
      const cycle = ++state.cycles;
      runLog.record('cycle', { cycle });
      if (mode === 'llm') {
        await decideByModel(cycle).catch((err) => failed(cycle, 'llm', err));
      } else if (sdkRef) {
        await strategyCycle(cycle, sdkRef).catch((err) => failed(cycle, 'strategy', err));
      } else {
        for (const symbol of config.AGENT_SYMBOLS) await tradeSymbol(cycle, symbol).catch((err) => failed(cycle, 'trade', err, symbol));
      }
      await runLog.flush();
    });
    // A cycle that fails as a whole (the run log cannot be written) must not stall the ones after it.
    current = current.catch((err) => log.error({ err }, 'live agent cycle failed'));
    return current;
  };

  const schedule = () => {
    if (!state.running) return;
    const started = Date.now();
    void runCycle().then(() => {
      if (state.running) timer = setTimeout(schedule, Math.max(0, config.AGENT_INTERVAL_MS - (Date.now() - started)));
    });
  };
  if (deps.autoStart !== false) schedule();

  let stopping: Promise<void> | undefined;
  return {
    status,
    runCycle,
    readiness: () => {
      if (state.error) throw new Error(`the live agent stopped: ${state.error}`);
      return 'ok';
    },
    stop: () =>
      (stopping ??= (async () => {
        state.running = false;
        clearTimeout(timer);
        await current;
        runLog.record('run_end', { cycles: state.cycles });
        await runLog.flush().catch((err) => log.error({ err }, 'cannot write the run log'));
        await tools.close();
        log.info({ runId, cycles: state.cycles }, 'live agent stopped');
      })()),
  };
}
