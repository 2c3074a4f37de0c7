import { decideWithLlm, LiveStrategy, McpToolsClient, memoryStateStore, planTrade, readRunEvents, RunLog, HISTORY_BARS } from '@tradeyard/agent-live';
import { arenaRunIdSchema, type ArenaBoard, type GatewayClient, type MarketDto, type Order, type Portfolio } from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';
import { createStrategy, type Strategy } from '@tradeyard/strategies';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { arenaReportHtml, buildBoard, type AgentResult, type BoardInput, type ArenaFill, type BenchmarkPrices } from './board';
import { ArenaConfigError, isLive, parseArenaConfig, readModelApiKeys, type ArenaAgent, type ArenaConfig } from './config';
import type { ModelAccessPolicy } from './model-access';
import { ModelGateway, type ModelExchange } from './model-gateway';
import { RunSignals } from './run-signals';
import { loadArenaStrategies, type ArenaStrategies } from './strategies';

/** Events of OUT/run.jsonl. */
export type ArenaEventType = 'run_start' | 'market' | 'leg' | 'turn' | 'tool_call' | 'llm_exchange' | 'decision' | 'order' | 'fill' | 'error' | 'board' | 'run_end';

export interface ArenaRunOptions {
  config: ArenaConfig;
  /** OUT: run.jsonl, config.json, board.json and, at the end, report.html are written here. */
  outDir: string;
  mcpUrl: string;
  /**
   * An admin client of the gateway: it moves the clock, reads closes for the benchmark, publishes
   * the board, and makes each agent's API token (bound to the agent's account, revoked at the end).
   */
  admin: GatewayClient;
  /** Publishes the board instead of `admin`: the trading agent's own credential (TRADING_AGENT_TOKEN, the gateway's arena scope). */
  publisher?: GatewayClient;
  /** Where LLM agents' API keys are read (by the name in apiKeyVar), only as modelAccess allows. */
  env: Record<string, string | undefined>;
  /** The operator's limits on LLM agents' key variables and model endpoints (modelAccessPolicy); default: the default policy, mcpUrl the platform's one known address. */
  modelAccess?: ModelAccessPolicy;
  log: Logger;
  /** A recorded run (its OUT): the models' recorded replies are served back and any divergence fails the run. */
  replayOf?: string;
  /** Default: a fresh one from the config's name (newRunId). */
  runId?: string;
  /** Publish the board after the first step, every this many steps and at the end; default 50. */
  publishEvery?: number;
  /** The strategies of agents of kind strategy, loaded already (the route and the command check them first); else loaded at the start from their names in `strategiesDir` or their file paths. */
  strategies?: ArenaStrategies;
  strategiesDir?: string;
}

export interface ArenaRunStatus {
  runId: string;
  name: string;
  status: ArenaBoard['status'];
  stepsDone: number;
  /** Over history, the bars of the first symbol between from and to (known once the run started); live, `market.steps`. */
  stepsTotal: number | null;
  currentDate: string | null;
  outDir: string;
  error?: string;
  /** The last publish to the gateway failed: why (the board is in OUT/board.json regardless). */
  publishError?: string;
}

export interface ArenaRun {
  runId: string;
  status(): ArenaRunStatus;
  /** The board as last published (written to OUT/board.json), or null before the first. */
  board(): ArenaBoard | null;
  /** Stops after the current step (every agent finishes its turn); resolves with the final board. */
  stop(): Promise<ArenaBoard>;
  /** The final board, once the run has finished, stopped or failed. */
  done: Promise<ArenaBoard>;
  /** What the board is built from: each agent's equity curve and fills so far. */
  input(): BoardInput;
}

/** Longest an arena agent's API token lives (revoked when its run ends, however it ends). */
const AGENT_TOKEN_SECONDS = 7 * 24 * 3600;

/** Between full boards, the progress of the last one (steps, date) is republished this often at most, for watchers. */
const PROGRESS_EVERY_MS = 1000;

/** Revokes the API tokens made for the agents of run `runId`. */
async function revokeAgentTokens(admin: GatewayClient, runId: string) {
  const prefix = `arena:${runId}:`;
  const tokens = (await admin.listApiTokens()).filter((t) => t.accountId.startsWith(prefix) && t.revokedAt === null);
  await Promise.all(tokens.map((t) => admin.revokeApiToken(t.id)));
}

/** Bars each rule agent asks for after its first turn: the new one, and one more in case a step released two. */
const NEW_BARS = 2;
const SYSTEM_PROMPT =
  'You are a trading agent in an arena: other agents trade the same market from the same cash with the same costs. You act only through the tools: read prices, history, signals and your portfolio, use calculate for arithmetic, and place orders with buy and sell. Orders fill at the current price. Keep some cash for fees. When done with this turn, answer with a one-line summary.';

/** The MCP client of one agent: acts with the agent's own token, and records every call with its arguments and result. */
class AgentTools extends McpToolsClient {
  constructor(url: string, token: string, private readonly onCall: (name: string, args: Record<string, unknown>, result: CallToolResult) => void) {
    super(url, token);
  }
  override async callRaw(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await super.callRaw(name, args);
    this.onCall(name, args, result);
    return result;
  }
}

interface AgentState {
  spec: ArenaAgent;
  accountId: string;
  tools: AgentTools;
  model?: ModelGateway;
  modelUrl?: string;
  apiKey?: string;
  /** A rule agent's strategy per symbol, fed each bar once, and the exposure it last gave. */
  strategies: Map<string, { strategy: Strategy; exposure: number; lastBarTime: number }>;
  /** An agent of kind strategy: its SDK strategy trading through the agent's tools. */
  live?: LiveStrategy;
  /** A rule agent's portfolio as last read; undefined once it placed orders (read again next turn). */
  portfolio?: Portfolio;
  /** Orders still open (resting), by id, with what of them is already recorded as fills. */
  openOrders: Map<string, RecordedFills>;
  result: AgentResult;
}

/** What of an order the runner has recorded as fills: quantity, notional and fees so far. */
interface RecordedFills {
  quantity: number;
  notional: number;
  fees: number;
}
const OPEN_STATUSES: ReadonlySet<Order['status']> = new Set(['accepted', 'partially_filled']);
/** Orders get_orders answers at most: an agent's open ones are among its latest. */
const ORDERS_READ = 1000;

/** A fresh run id from the config's name: readable and unique. */
export const newRunId = (name: string) => {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'arena';
  return arenaRunIdSchema.parse(`${slug}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`);
};

/** Reads a recorded run: its config and each LLM agent's model exchanges, in order. */
export async function readRecording(dir: string) {
  const config = parseArenaConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  const events = (await readRunEvents<ArenaEventType>(dir, 'run')) ?? [];
  const start = events.find((e) => e.type === 'run_start');
  if (!start) throw new Error(`${join(dir, 'run.jsonl')} holds no run_start event: not an arena recording`);
  const exchanges = new Map<string, ModelExchange[]>();
  for (const e of events) if (e.type === 'llm_exchange') exchanges.set(e.agent as string, [...(exchanges.get(e.agent as string) ?? []), { request: e.request, response: e.response as ModelExchange['response'] }]);
  const board = JSON.parse(await readFile(join(dir, 'board.json'), 'utf8').catch(() => 'null')) as ArenaBoard | null;
  return { config, runId: start.runId as string, exchanges, board, events };
}

/**
 * Starts an arena run: each agent trades its own paper account (arena:<run>:<agent>) through the
 * real MCP tools. Over history the run creates a market of its own for its universe and range
 * (the default market, the dashboard's and the live agent's, never notices; several runs proceed
 * at once), opens its agents' accounts there, and runs in lockstep on that market's clock: paused
 * at `from`, every agent takes its turn (concurrently), and only then does the runner step it one
 * bar, so no agent ever sees a bar before every agent is done with the previous one. At the end
 * the market is archived. Live, agents act at each bar the default market's running clock
 * releases. Everything is recorded to OUT/run.jsonl.
 */
export function startArenaRun(options: ArenaRunOptions): ArenaRun {
  const { config, admin, log, outDir } = options;
  const runId = options.runId ?? newRunId(config.name);
  const runLog = new RunLog<ArenaEventType>(outDir, 'run');
  const live = isLive(config.market);
  const state: ArenaRunStatus = { runId, name: config.name, status: 'running', stepsDone: 0, stepsTotal: live ? ((config.market as { steps?: number }).steps ?? null) : null, currentDate: null, outDir };
  let stopRequested = false;
  const agents: AgentState[] = [];
  const benchmark: BenchmarkPrices = { time: [], closes: config.market.symbols.map(() => []) };
  let step = 0;
  // Over history the run has a market of its own (created in setUp, archived at the end): its
  // clock, prices and the agents' accounts; live, the agents trade the default market as it runs.
  let runMarket: MarketDto | undefined;
  let inRun: GatewayClient = admin;
  // Its signals, computed by the run itself before each step when a language model may search them.
  let runSignals: RunSignals | undefined;

  const boardInput = (): BoardInput => ({
      runId, name: config.name, status: state.status, mode: live ? 'live' : 'lockstep',
      from: live ? (benchmark.time.length ? isoDate(benchmark.time[0]) : '') || (state.currentDate ?? '') : (config.market as { from: string }).from,
      to: live ? (state.currentDate ?? '') : (config.market as { to: string }).to,
      currentDate: state.currentDate, stepsDone: state.stepsDone, stepsTotal: state.stepsTotal,
      symbols: config.market.symbols, startingCash: config.startingCash, seed: config.seed,
      agents: agents.map((a) => a.result), benchmark, error: state.error, now: Date.now(),
    });
  const board = (): ArenaBoard => buildBoard(boardInput());

  let published: ArenaBoard | null = null;
  let publishedAt = 0;
  const publish = async (current: ArenaBoard) => {
    published = current;
    publishedAt = Date.now();
    await writeFile(join(outDir, 'board.json'), JSON.stringify(current, null, 2));
    try {
      await (options.publisher ?? admin).publishArenaBoard(current);
      state.publishError = undefined;
    } catch (err) {
      // The gateway may not serve arena boards (an older one): the run goes on, and says so.
      state.publishError = `publishing the board failed: ${(err as Error).message}`;
      log.warn({ runId, err: (err as Error).message }, 'arena board not published; it is in OUT/board.json');
    }
  };

  /**
   * Records an order as placed, or as read again while it rested: what it filled since it was last
   * seen becomes a fill at this step's time (a resting order fills when the step releases the bar
   * that crosses it, which is this step's). Orders still open are kept to be read again.
   */
  const recordOrder = (agent: AgentState, order: Order, time: number) => {
    const seen = agent.openOrders.get(order.id);
    if (!seen) runLog.record('order', { agent: agent.spec.name, step, order: { ...order, accountId: undefined } });
    const recorded = seen ?? { quantity: 0, notional: 0, fees: 0 };
    const quantity = order.filledQuantity - recorded.quantity;
    if (quantity > 0 && order.avgFillPrice !== null && order.avgFillPrice !== undefined) {
      const notional = order.filledQuantity * order.avgFillPrice;
      const fill: ArenaFill = { time, symbol: order.symbol, side: order.side, quantity, price: (notional - recorded.notional) / quantity, fees: order.fees - recorded.fees };
      agent.result.fills.push(fill);
      checkFee(fill);
      runLog.record('fill', { agent: agent.spec.name, step, orderId: order.id, ...fill });
      Object.assign(recorded, { quantity: order.filledQuantity, notional, fees: order.fees });
    }
    if (OPEN_STATUSES.has(order.status)) agent.openOrders.set(order.id, recorded);
    else agent.openOrders.delete(order.id);
  };

  /** Reads the agent's resting orders again (one get_orders call, only while it has some) and records what filled. */
  async function settleOpenOrders(agent: AgentState, time: number) {
    if (agent.openOrders.size === 0) return;
    const { orders } = await agent.tools.call<{ orders: Order[] }>('get_orders', { limit: ORDERS_READ });
    // get_orders answers newest first; fills are recorded oldest order first, as the broker matches them.
    for (const order of orders.toReversed()) if (agent.openOrders.has(order.id)) recordOrder(agent, order, time);
  }

  // Costs are the gateway's; a fee other than the config's means the arena would compare agents under costs it does not state.
  let costMismatch: ArenaConfigError | undefined;
  const checkFee = (fill: ArenaFill) => {
    const { feeBps, feePerShare } = config.costs;
    if (feeBps === undefined && feePerShare === undefined) return;
    const expected = ((feeBps ?? 0) * fill.quantity * fill.price) / 1e4 + (feePerShare ?? 0) * fill.quantity;
    if (Math.abs(fill.fees - expected) > 0.01) {
      costMismatch ??= new ArenaConfigError([{ field: 'costs', rule: `must match the gateway's (FEE_BPS, FEE_PER_SHARE): a fill of ${fill.quantity} ${fill.symbol} at ${fill.price} paid ${fill.fees} in fees, the config's costs give ${expected.toFixed(6)}` }]);
    }
  };

  /**
   * A rule agent reads its portfolio only when it may have changed (its first turn, and after it
   * placed orders: its market orders fill at once, it places no resting ones) and otherwise marks
   * the one it holds at the closes it reads: half the tool calls of a turn, the same equity.
   */
  async function ruleTurn(agent: AgentState, date: string, time: number) {
    const spec = agent.spec as Extract<ArenaAgent, { kind: 'rule' }>;
    const symbols = config.market.symbols;
    const portfolio = (agent.portfolio ??= await agent.tools.call<Portfolio>('get_portfolio'));
    const closes = new Map<string, number>();
    for (const symbol of symbols) {
      const first = !agent.strategies.has(symbol);
      const fed = agent.strategies.get(symbol) ?? { strategy: createStrategy(spec.strategy), exposure: 0, lastBarTime: -Infinity };
      agent.strategies.set(symbol, fed);
      // The first turn warms the strategy up on the history before `from`; later turns ask only for the new bar.
      const { bars } = await agent.tools.call<{ bars: Bar[] }>('get_history', { symbol, limit: first ? HISTORY_BARS : NEW_BARS });
      for (const bar of bars) if (bar.time > fed.lastBarTime) fed.exposure = fed.strategy.onBar(bar);
      const last = bars.at(-1);
      if (!last) continue;
      fed.lastBarTime = last.time;
      closes.set(symbol, last.close);
    }
    const equity = portfolio.positions.reduce((sum, p) => sum + p.quantity * (closes.get(p.symbol) ?? p.marketPrice), portfolio.cash);
    recordTurn(agent, date, time, equity, portfolio.cash);
    for (const symbol of symbols) {
      const price = closes.get(symbol);
      if (price === undefined) continue;
      const held = portfolio.positions.find((p) => p.symbol === symbol)?.quantity ?? 0;
      const plan = planTrade({ exposure: agent.strategies.get(symbol)!.exposure, equity, symbolCount: symbols.length, price, held });
      if (plan.action === 'hold') continue;
      agent.portfolio = undefined;
      try {
        const order = await agent.tools.call<Order>(plan.action, { symbol, quantity: Math.abs(plan.delta), clientOrderId: `${agent.spec.name}-${step}-${symbol}` });
        recordOrder(agent, order, time);
      } catch (err) {
        runLog.record('error', { agent: agent.spec.name, step, symbol, message: (err as Error).message });
      }
    }
  }

  /**
   * An agent of kind strategy: its LiveStrategy reads the new bar, decides as a backtest would and
   * places the orders; the equity of the turn is the account as read before it acted. A strategy
   * that fails holds from then on (its error is recorded once).
   */
  async function strategyTurn(agent: AgentState, date: string, time: number) {
    const live = agent.live!;
    const failedBefore = live.failure;
    const cycle = await live.cycle();
    const portfolio = cycle.portfolio ?? (await agent.tools.call<Portfolio>('get_portfolio'));
    recordTurn(agent, date, time, portfolio.equity, portfolio.cash);
    for (const placed of cycle.orders) if (placed.order) recordOrder(agent, placed.order, time);
    if (live.failure && !failedBefore) log.error({ runId, agent: agent.spec.name }, `arena agent ${agent.spec.name} stopped: ${live.failure}`);
  }

  async function llmTurn(agent: AgentState, date: string, time: number) {
    const spec = agent.spec as Extract<ArenaAgent, { kind: 'llm' }>;
    const decision = await decideWithLlm({ baseURL: agent.modelUrl!, apiKey: agent.apiKey!, model: spec.model, maxSteps: spec.maxSteps }, agent.tools, [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: `Step ${step}, market date ${date}. Symbols: ${config.market.symbols.join(', ')}. Use clientOrderId "${spec.name}-${step}-<symbol>" on orders.`,
      },
    ]);
    for (const call of decision.toolCalls) {
      if ((call.name === 'buy' || call.name === 'sell') && !call.result.isError && call.result.structuredContent) recordOrder(agent, call.result.structuredContent as unknown as Order, time);
    }
  }

  /** The agent's equity at this step's close, before it acts: one point of its equity curve. */
  function recordTurn(agent: AgentState, date: string, time: number, equity: number, cash: number) {
    const previous = agent.result.equity.at(-1);
    if (previous && previous.time >= time) previous.equity = equity;
    else agent.result.equity.push({ time, equity });
    runLog.record('turn', { agent: agent.spec.name, step, date, equity, cash });
  }

  async function turn(agent: AgentState, date: string, time: number) {
    try {
      await settleOpenOrders(agent, time);
      if (agent.spec.kind === 'rule') await ruleTurn(agent, date, time);
      else if (agent.spec.kind === 'strategy') await strategyTurn(agent, date, time);
      else {
        const portfolio = await agent.tools.call<Portfolio>('get_portfolio');
        recordTurn(agent, date, time, portfolio.equity, portfolio.cash);
        await llmTurn(agent, date, time);
      }
    } catch (err) {
      runLog.record('error', { agent: agent.spec.name, step, message: (err as Error).message });
    }
    if (agent.model?.divergence) throw agent.model.divergence;
    if (costMismatch) throw costMismatch;
  }

  async function recordCloses(time: number) {
    if (benchmark.time.at(-1) === time) return;
    const quotes = await Promise.all(config.market.symbols.map((symbol) => inRun.getQuote(symbol)));
    benchmark.time.push(time);
    quotes.forEach((q, k) => benchmark.closes[k].push(q.price));
  }

  async function setUp() {
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'config.json'), JSON.stringify(config, null, 2));
    const recording = options.replayOf ? await readRecording(options.replayOf) : undefined;
    runLog.record('run_start', { runId, name: config.name, replayOf: recording?.runId ?? null, mode: live ? 'live' : 'lockstep' });
    // A replay serves recorded replies: it reads no key and reaches no model endpoint.
    const apiKeys = recording ? undefined : readModelApiKeys(config, options.modelAccess ?? { platformUrls: [options.mcpUrl] }, options.env);
    const strategies = options.strategies ?? (config.agents.some((a) => a.kind === 'strategy') ? await loadArenaStrategies(config, { strategiesDir: options.strategiesDir }) : new Map());
    if (!live) {
      const { from, to } = config.market as { from: string; to: string };
      runMarket = await admin.createMarket({ name: `arena ${runId}`.slice(0, 80), symbols: config.market.symbols, from, to });
      inRun = admin.inMarket(runMarket.id);
      if (config.agents.some((a) => a.kind === 'llm')) runSignals = new RunSignals(inRun, config.market.symbols);
      runLog.record('market', { market: runMarket.id, steps: runMarket.steps });
    }
    for (const spec of config.agents) {
      const accountId = `arena:${runId}:${spec.name}`;
      // The agent's own credential, valid for its account alone: it cannot trade another agent's.
      const { token } = await admin.createApiToken({ label: `arena ${runId} ${spec.name}`, account: accountId, market: runMarket?.id, expiresInSeconds: AGENT_TOKEN_SECONDS });
      const agent: AgentState = {
        spec, accountId, strategies: new Map(), openOrders: new Map(),
        tools: new AgentTools(options.mcpUrl, token, (name, args, result) =>
          runLog.record('tool_call', { agent: spec.name, step, tool: name, arguments: args, isError: result.isError ?? false, result: result.structuredContent ?? result.content }),
        ),
        result: { name: spec.name, kind: spec.kind, accountId, equity: [], fills: [] },
      };
      if (spec.kind === 'strategy') {
        const strategy = strategies.get(spec.name)!;
        agent.live = new LiveStrategy({
          strategy, symbols: strategy.universe === 'all' ? config.market.symbols : strategy.universe, tools: agent.tools, store: memoryStateStore(spec.name), costs: config.costs,
          record: (type, fields) => runLog.record(type, { agent: spec.name, step, ...fields }),
        });
      }
      if (spec.kind === 'llm') {
        const source = recording
          ? { mode: 'replay' as const, recorded: recording.exchanges.get(spec.name) ?? [], recordedRunId: recording.runId, runId }
          : { mode: 'record' as const, upstream: spec.baseUrl };
        agent.model = new ModelGateway(spec.name, source, (exchange) => {
          const usage = exchange.response.usage;
          agent.result.tokens = (agent.result.tokens ?? 0) + (usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
          agent.result.inferenceCost = ((agent.result.tokens ?? 0) * (spec.pricePerMillionTokens ?? 0)) / 1e6;
          runLog.record('llm_exchange', { agent: spec.name, step, request: exchange.request, response: exchange.response });
        });
        agent.modelUrl = await agent.model.start();
        agent.apiKey = apiKeys ? apiKeys.get(spec.name) : 'replay';
      }
      agents.push(agent);
    }
    // Every account opens with the gateway's PAPER_STARTING_CASH: the config must state the same.
    const opened = await agents[0].tools.call<Portfolio>('get_portfolio');
    if (opened.initialCash !== config.startingCash) {
      throw new ArenaConfigError([{ field: 'startingCash', rule: `must equal the gateway's starting cash (PAPER_STARTING_CASH) ${opened.initialCash}; it is ${config.startingCash}` }]);
    }
  }

  /** One step of the run at the clock's bar: every agent's turn, then the board now and then. */
  async function takeStep(clock: { date: string; time: number }) {
    step++;
    state.currentDate = clock.date;
    await recordCloses(clock.time);
    // The step's signals exist before any agent takes the step.
    await runSignals?.step();
    await Promise.all(agents.map((agent) => turn(agent, clock.date, clock.time)));
    state.stepsDone = step;
    // The run shows on the board list after its first step; statistics are computed every publishEvery
    // steps (the bootstrap is the costly part), the progress of the last board at most every second.
    if (step === 1 || step % (options.publishEvery ?? 50) === 0) await publish(board());
    else if (published && Date.now() - publishedAt >= PROGRESS_EVERY_MS) {
      const { stepsDone, stepsTotal, currentDate } = state;
      await publish({ ...published, stepsDone, stepsTotal, currentDate, updatedAt: Date.now() });
    }
  }

  /** Over history: the run's own market, paused at `from`, stepped one bar once every agent took its turn. */
  async function lockstep() {
    const market = config.market as { from: string; to: string };
    // The run's length for watchers: its market's steps from `from` through `to`.
    state.stepsTotal = runMarket!.steps;
    let clock = await inRun.getClock();
    for (;;) {
      await takeStep(clock);
      if (stopRequested || clock.ended || clock.date >= market.to) return;
      // Only now, every turn done, may the next bar show.
      const next = await inRun.controlClock({ action: 'step', bars: 1 });
      if (next.time === clock.time) return;
      clock = next;
    }
  }

  async function liveLoop() {
    const steps = (config.market as { steps?: number }).steps ?? Infinity;
    let seen = -1;
    while (!stopRequested && step < steps) {
      const clock = await admin.getClock();
      if (clock.time === seen) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      seen = clock.time;
      await takeStep(clock);
    }
  }

  const done = (async () => {
    try {
      await setUp();
      await (live ? liveLoop() : lockstep());
      // The equity after the last turn's orders (their fees), at the last step's time.
      await Promise.all(agents.map(async (agent) => {
        const portfolio = await agent.tools.call<Portfolio>('get_portfolio').catch(() => undefined);
        const last = agent.result.equity.at(-1);
        if (portfolio && last) last.equity = portfolio.equity;
      }));
      const unserved = agents.find((a) => a.model && a.model.unserved() > 0);
      if (unserved) throw new Error(`replay diverged: agent ${unserved.spec.name} made ${unserved.model!.unserved()} fewer model calls than the recording`);
      state.status = stopRequested ? 'stopped' : 'finished';
    } catch (err) {
      state.status = 'failed';
      state.error = (err as Error).message;
      runLog.record('error', { step, message: state.error });
      log.error({ runId, err: state.error }, 'arena run failed');
    }
    const final = board();
    await publish(final).catch((err) => (state.publishError = (err as Error).message));
    const report = arenaReportHtml(boardInput());
    if (report) await writeFile(join(outDir, 'report.html'), report).catch((err) => log.error({ err }, 'cannot write the arena report'));
    runLog.record('board', { board: final });
    runLog.record('run_end', { status: state.status, steps: state.stepsDone });
    await runLog.flush().catch((err) => log.error({ err }, 'cannot write the arena run log'));
    await Promise.all(agents.map(async (a) => Promise.all([a.tools.close(), a.model?.close()])));
    // The agents' tokens end with the run, and its market is archived: its accounts stay readable.
    await revokeAgentTokens(admin, runId).catch((err) => log.error({ err, runId }, 'cannot revoke the arena agents\' API tokens'));
    if (runMarket) await admin.archiveMarket(runMarket.id).catch((err) => log.error({ err, runId, market: runMarket?.id }, 'cannot archive the arena run\'s market'));
    if (state.status === 'failed' && options.replayOf) log.error({ runId }, 'replay failed');
    return final;
  })();

  return {
    runId,
    status: () => ({ ...state }),
    board: () => published,
    stop: () => {
      stopRequested = true;
      return done;
    },
    done,
    input: boardInput,
  };
}
