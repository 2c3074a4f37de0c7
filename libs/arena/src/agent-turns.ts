import { decideWithLlm, HISTORY_BARS, LiveStrategy, McpToolsClient, planTrade, RunLog } from '@tradeyard/agent-live';
import type { Order, Portfolio } from '@tradeyard/gateway-contract';
import type { Bar } from '@tradeyard/market-data';
import { createStrategy, type Strategy } from '@tradeyard/strategies';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { AgentResult, ArenaFill } from './board';
import { ArenaConfigError, type ArenaAgent, type ArenaConfig } from './config';
import type { ModelGateway } from './model-gateway';

/** Events of OUT/run.jsonl. */
export type ArenaEventType = 'run_start' | 'market' | 'leg' | 'turn' | 'tool_call' | 'llm_exchange' | 'decision' | 'order' | 'fill' | 'error' | 'board' | 'run_end';

/** Bars each rule agent asks for after its first turn: the new one, and one more in case a step released two. */
const NEW_BARS = 2;
const SYSTEM_PROMPT =
  'You are a trading agent in an arena: other agents trade the same market from the same cash with the same costs. You act only through the tools: read prices, history, signals and your portfolio, use calculate for arithmetic, and place orders with buy and sell. Orders fill at the current price. Keep some cash for fees. When done with this turn, answer with a one-line summary.';

/** The MCP client of one agent: acts with the agent's own token, and records every call with its arguments and result. */
export class AgentTools extends McpToolsClient {
  constructor(url: string, token: string, private readonly onCall: (name: string, args: Record<string, unknown>, result: CallToolResult) => void) {
    super(url, token);
  }
  override async callRaw(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const result = await super.callRaw(name, args);
    this.onCall(name, args, result);
    return result;
  }
}

export interface AgentState {
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

/**
 * One agent's turn at a step, by kind (rule, strategy, language model), and what the run records of
 * it: the equity before it acts, its orders, and the fills of its orders as they happen (a resting
 * order's at the step that fills it).
 */
export class AgentTurns {
  /** The run's current step: clientOrderIds and records name it. */
  step = 0;
  // Costs are the gateway's; a fee other than the config's means the arena would compare agents under costs it does not state.
  private costMismatch: ArenaConfigError | undefined;

  constructor(
    private readonly config: ArenaConfig,
    private readonly runLog: RunLog<ArenaEventType>,
    private readonly log: Logger,
    private readonly runId: string,
  ) {}

  /** The agent's turn at this step; a divergence from a recording or a cost mismatch fails the run. */
  async turn(agent: AgentState, date: string, time: number): Promise<void> {
    try {
      await this.settleOpenOrders(agent, time);
      if (agent.spec.kind === 'rule') await this.ruleTurn(agent, date, time);
      else if (agent.spec.kind === 'strategy') await this.strategyTurn(agent, date, time);
      else {
        const portfolio = await agent.tools.call<Portfolio>('get_portfolio');
        this.recordTurn(agent, date, time, portfolio.equity, portfolio.cash);
        await this.llmTurn(agent, date, time);
      }
    } catch (err) {
      this.runLog.record('error', { agent: agent.spec.name, step: this.step, message: (err as Error).message });
    }
    if (agent.model?.divergence) throw agent.model.divergence;
    if (this.costMismatch) throw this.costMismatch;
  }

  /**
   * Records an order as placed, or as read again while it rested: what it filled since it was last
   * seen becomes a fill at this step's time (a resting order fills when the step releases the bar
   * that crosses it, which is this step's). Orders still open are kept to be read again.
   */
  private recordOrder(agent: AgentState, order: Order, time: number) {
    const seen = agent.openOrders.get(order.id);
    if (!seen) this.runLog.record('order', { agent: agent.spec.name, step: this.step, order: { ...order, accountId: undefined } });
    const recorded = seen ?? { quantity: 0, notional: 0, fees: 0 };
    const quantity = order.filledQuantity - recorded.quantity;
    if (quantity > 0 && order.avgFillPrice !== null && order.avgFillPrice !== undefined) {
      const notional = order.filledQuantity * order.avgFillPrice;
      const fill: ArenaFill = { time, symbol: order.symbol, side: order.side, quantity, price: (notional - recorded.notional) / quantity, fees: order.fees - recorded.fees };
      agent.result.fills.push(fill);
      this.checkFee(fill);
      this.runLog.record('fill', { agent: agent.spec.name, step: this.step, orderId: order.id, ...fill });
      Object.assign(recorded, { quantity: order.filledQuantity, notional, fees: order.fees });
    }
    if (OPEN_STATUSES.has(order.status)) agent.openOrders.set(order.id, recorded);
    else agent.openOrders.delete(order.id);
  }

  /** Reads the agent's resting orders again (one get_orders call, only while it has some) and records what filled. */
  private async settleOpenOrders(agent: AgentState, time: number) {
    if (agent.openOrders.size === 0) return;
    const { orders } = await agent.tools.call<{ orders: Order[] }>('get_orders', { limit: ORDERS_READ });
    // get_orders answers newest first; fills are recorded oldest order first, as the broker matches them.
    for (const order of orders.toReversed()) if (agent.openOrders.has(order.id)) this.recordOrder(agent, order, time);
  }

  private checkFee(fill: ArenaFill) {
    const { feeBps, feePerShare } = this.config.costs;
    if (feeBps === undefined && feePerShare === undefined) return;
    const expected = ((feeBps ?? 0) * fill.quantity * fill.price) / 1e4 + (feePerShare ?? 0) * fill.quantity;
    if (Math.abs(fill.fees - expected) > 0.01) {
      this.costMismatch ??= new ArenaConfigError([{ field: 'costs', rule: `must match the gateway's (FEE_BPS, FEE_PER_SHARE): a fill of ${fill.quantity} ${fill.symbol} at ${fill.price} paid ${fill.fees} in fees, the config's costs give ${expected.toFixed(6)}` }]);
    }
  }

  /**
   * A rule agent reads its portfolio only when it may have changed (its first turn, and after it
   * placed orders: its market orders fill at once, it places no resting ones) and otherwise marks
   * the one it holds at the closes it reads: half the tool calls of a turn, the same equity.
   */
  private async ruleTurn(agent: AgentState, date: string, time: number) {
    const spec = agent.spec as Extract<ArenaAgent, { kind: 'rule' }>;
    const symbols = this.config.market.symbols;
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
    this.recordTurn(agent, date, time, equity, portfolio.cash);
    for (const symbol of symbols) {
      const price = closes.get(symbol);
      if (price === undefined) continue;
      const held = portfolio.positions.find((p) => p.symbol === symbol)?.quantity ?? 0;
      const plan = planTrade({ exposure: agent.strategies.get(symbol)!.exposure, equity, symbolCount: symbols.length, price, held });
      if (plan.action === 'hold') continue;
      agent.portfolio = undefined;
      try {
        const order = await agent.tools.call<Order>(plan.action, { symbol, quantity: Math.abs(plan.delta), clientOrderId: `${agent.spec.name}-${this.step}-${symbol}` });
        this.recordOrder(agent, order, time);
      } catch (err) {
        this.runLog.record('error', { agent: agent.spec.name, step: this.step, symbol, message: (err as Error).message });
      }
    }
  }

  /**
   * An agent of kind strategy: its LiveStrategy reads the new bar, decides as a backtest would and
   * places the orders; the equity of the turn is the account as read before it acted. A strategy
   * that fails holds from then on (its error is recorded once).
   */
  private async strategyTurn(agent: AgentState, date: string, time: number) {
    const live = agent.live!;
    const failedBefore = live.failure;
    const cycle = await live.cycle();
    const portfolio = cycle.portfolio ?? (await agent.tools.call<Portfolio>('get_portfolio'));
    this.recordTurn(agent, date, time, portfolio.equity, portfolio.cash);
    for (const placed of cycle.orders) if (placed.order) this.recordOrder(agent, placed.order, time);
    if (live.failure && !failedBefore) this.log.error({ runId: this.runId, agent: agent.spec.name }, `arena agent ${agent.spec.name} stopped: ${live.failure}`);
  }

  private async llmTurn(agent: AgentState, date: string, time: number) {
    const spec = agent.spec as Extract<ArenaAgent, { kind: 'llm' }>;
    const decision = await decideWithLlm({ baseURL: agent.modelUrl!, apiKey: agent.apiKey!, model: spec.model, maxSteps: spec.maxSteps }, agent.tools, [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: `Step ${this.step}, market date ${date}. Symbols: ${this.config.market.symbols.join(', ')}. Use clientOrderId "${spec.name}-${this.step}-<symbol>" on orders.`,
      },
    ]);
    for (const call of decision.toolCalls) {
      if ((call.name === 'buy' || call.name === 'sell') && !call.result.isError && call.result.structuredContent) this.recordOrder(agent, call.result.structuredContent as unknown as Order, time);
    }
  }

  /** The agent's equity at this step's close, before it acts: one point of its equity curve. */
  private recordTurn(agent: AgentState, date: string, time: number, equity: number, cash: number) {
    const previous = agent.result.equity.at(-1);
    if (previous && previous.time >= time) previous.equity = equity;
    else agent.result.equity.push({ time, equity });
    this.runLog.record('turn', { agent: agent.spec.name, step: this.step, date, equity, cash });
  }
}
