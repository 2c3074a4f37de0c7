import { LiveStrategy, memoryStateStore, readRunEvents, RunLog } from '@tradeyard/agent-live';
import { arenaRunIdSchema, type ArenaBoard, type GatewayClient, type MarketDto, type Portfolio } from '@tradeyard/gateway-contract';
import { isoDate } from '@tradeyard/market-data';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AgentTools, AgentTurns, type AgentState, type ArenaEventType } from './agent-turns';
import { arenaReportHtml, buildBoard, type BoardInput, type BenchmarkPrices } from './board';
import { ArenaConfigError, isLive, parseArenaConfig, readModelApiKeys, type ArenaAgent, type ArenaConfig } from './config';
import type { ModelAccessPolicy } from './model-access';
import { ModelGateway, type ModelExchange } from './model-gateway';
import { RunSignals } from './run-signals';
import { loadArenaStrategies, type ArenaStrategies } from './strategies';

export type { ArenaEventType } from './agent-turns';

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
  /**
   * Names this attempt of the run in its agents' account ids (`arena:<run id>-<attempt>:<agent>`):
   * a run started again after its worker died gets accounts of its own in its new market, under
   * the same run id and board.
   */
  attempt?: string;
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
  const runner = new ArenaRunner(options);
  const done = runner.run();
  return {
    runId: runner.runId,
    status: () => ({ ...runner.state }),
    board: () => runner.published,
    stop: () => {
      runner.stopRequested = true;
      return done;
    },
    done,
    input: () => runner.boardInput(),
  };
}

/** One run in named steps: set up, a step (every agent's turn), the lockstep or live loop, settle, publish, finish. */
class ArenaRunner {
  readonly runId: string;
  readonly state: ArenaRunStatus;
  stopRequested = false;
  published: ArenaBoard | null = null;
  private publishedAt = 0;
  private readonly config: ArenaConfig;
  private readonly admin: GatewayClient;
  private readonly log: Logger;
  private readonly runLog: RunLog<ArenaEventType>;
  private readonly live: boolean;
  private readonly agents: AgentState[] = [];
  private readonly turns: AgentTurns;
  private readonly benchmark: BenchmarkPrices;
  // Over history the run has a market of its own (created in setUp, archived at the end): its
  // clock, prices and the agents' accounts; live, the agents trade the default market as it runs.
  private runMarket: MarketDto | undefined;
  private inRun: GatewayClient;
  /** The run id its agents' accounts carry: the run's, and its attempt's when it has one. */
  private readonly accountsRunId: string;
  // Its signals, computed by the run itself before each step when a language model may search them.
  private runSignals: RunSignals | undefined;

  constructor(private readonly options: ArenaRunOptions) {
    const { config, admin, log, outDir } = options;
    this.config = config;
    this.admin = this.inRun = admin;
    this.log = log;
    this.runId = options.runId ?? newRunId(config.name);
    this.runLog = new RunLog<ArenaEventType>(outDir, 'run');
    this.accountsRunId = options.attempt ? `${this.runId}-${options.attempt}` : this.runId;
    this.live = isLive(config.market);
    this.turns = new AgentTurns(config, this.runLog, log, this.runId);
    this.benchmark = { time: [], closes: config.market.symbols.map(() => []) };
    const steps = this.live ? ((config.market as { steps?: number }).steps ?? null) : null;
    this.state = { runId: this.runId, name: config.name, status: 'running', stepsDone: 0, stepsTotal: steps, currentDate: null, outDir };
  }

  boardInput(): BoardInput {
    const { config, state, benchmark, live } = this;
    return {
      runId: this.runId, name: config.name, status: state.status, mode: live ? 'live' : 'lockstep',
      from: live ? (benchmark.time.length ? isoDate(benchmark.time[0]) : '') || (state.currentDate ?? '') : (config.market as { from: string }).from,
      to: live ? (state.currentDate ?? '') : (config.market as { to: string }).to,
      currentDate: state.currentDate, stepsDone: state.stepsDone, stepsTotal: state.stepsTotal,
      symbols: config.market.symbols, startingCash: config.startingCash, seed: config.seed,
      agents: this.agents.map((a) => a.result), benchmark, error: state.error, now: Date.now(),
    };
  }

  private board(): ArenaBoard {
    return buildBoard(this.boardInput());
  }

  /** The whole run: set up, the loop, the final equity, then the board, report and clean-up whatever happened. */
  async run(): Promise<ArenaBoard> {
    try {
      await this.setUp();
      await (this.live ? this.liveLoop() : this.lockstep());
      await this.settle();
      this.state.status = this.stopRequested ? 'stopped' : 'finished';
    } catch (err) {
      this.state.status = 'failed';
      this.state.error = (err as Error).message;
      this.runLog.record('error', { step: this.turns.step, message: this.state.error });
      this.log.error({ runId: this.runId, err: this.state.error }, 'arena run failed');
    }
    return this.finish();
  }

  private async setUp() {
    const { config, options, runLog, runId, live } = this;
    await mkdir(options.outDir, { recursive: true });
    await writeFile(join(options.outDir, 'config.json'), JSON.stringify(config, null, 2));
    const recording = options.replayOf ? await readRecording(options.replayOf) : undefined;
    runLog.record('run_start', { runId, name: config.name, replayOf: recording?.runId ?? null, mode: live ? 'live' : 'lockstep' });
    // A replay serves recorded replies: it reads no key and reaches no model endpoint.
    const apiKeys = recording ? undefined : readModelApiKeys(config, options.modelAccess ?? { platformUrls: [options.mcpUrl] }, options.env);
    const strategies = options.strategies ?? (config.agents.some((a) => a.kind === 'strategy') ? await loadArenaStrategies(config, { strategiesDir: options.strategiesDir }) : new Map());
    if (!live) await this.openMarket();
    for (const spec of config.agents) this.agents.push(await this.openAgent(spec, strategies, recording, apiKeys));
    // Every account opens with the gateway's PAPER_STARTING_CASH: the config must state the same.
    const opened = await this.agents[0].tools.call<Portfolio>('get_portfolio');
    if (opened.initialCash !== config.startingCash) {
      throw new ArenaConfigError([{ field: 'startingCash', rule: `must equal the gateway's starting cash (PAPER_STARTING_CASH) ${opened.initialCash}; it is ${config.startingCash}` }]);
    }
  }

  /** The run's own market over its universe and range, and (with a language-model agent) its own scanner. */
  private async openMarket() {
    const { config, admin } = this;
    const { from, to } = config.market as { from: string; to: string };
    this.runMarket = await admin.createMarket({ name: `arena ${this.runId}`.slice(0, 80), symbols: config.market.symbols, from, to });
    this.inRun = admin.inMarket(this.runMarket.id);
    if (config.agents.some((a) => a.kind === 'llm')) this.runSignals = new RunSignals(this.inRun, config.market.symbols);
    this.runLog.record('market', { market: this.runMarket.id, steps: this.runMarket.steps });
  }

  /** An agent's account (in the run's market), its own credential, tools and, by kind, its strategy or model gateway. */
  private async openAgent(spec: ArenaAgent, strategies: ArenaStrategies, recording: Awaited<ReturnType<typeof readRecording>> | undefined, apiKeys: Map<string, string> | undefined): Promise<AgentState> {
    const { config, runId, runLog, options } = this;
    const accountId = `arena:${this.accountsRunId}:${spec.name}`;
    // The agent's own credential, valid for its account alone: it cannot trade another agent's.
    const { token } = await this.admin.createApiToken({ label: `arena ${runId} ${spec.name}`, account: accountId, market: this.runMarket?.id, expiresInSeconds: AGENT_TOKEN_SECONDS });
    const agent: AgentState = {
      spec, accountId, strategies: new Map(), openOrders: new Map(),
      tools: new AgentTools(options.mcpUrl, token, (name, args, result) =>
        runLog.record('tool_call', { agent: spec.name, step: this.turns.step, tool: name, arguments: args, isError: result.isError ?? false, result: result.structuredContent ?? result.content }),
      ),
      result: { name: spec.name, kind: spec.kind, accountId, equity: [], fills: [] },
    };
    if (spec.kind === 'strategy') {
      const strategy = strategies.get(spec.name)!;
      agent.live = new LiveStrategy({
        strategy, symbols: strategy.universe === 'all' ? config.market.symbols : strategy.universe, tools: agent.tools, store: memoryStateStore(spec.name), costs: config.costs,
        record: (type, fields) => runLog.record(type, { agent: spec.name, step: this.turns.step, ...fields }),
      });
    }
    if (spec.kind === 'llm') await this.openModel(agent, spec, recording, apiKeys);
    return agent;
  }

  /** A language-model agent's model gateway: recording its exchanges, or serving a recording's back. */
  private async openModel(agent: AgentState, spec: Extract<ArenaAgent, { kind: 'llm' }>, recording: Awaited<ReturnType<typeof readRecording>> | undefined, apiKeys: Map<string, string> | undefined) {
    const source = recording
      ? { mode: 'replay' as const, recorded: recording.exchanges.get(spec.name) ?? [], recordedRunId: recording.runId, runId: this.runId }
      : { mode: 'record' as const, upstream: spec.baseUrl };
    agent.model = new ModelGateway(spec.name, source, (exchange) => {
      const usage = exchange.response.usage;
      agent.result.tokens = (agent.result.tokens ?? 0) + (usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
      agent.result.inferenceCost = ((agent.result.tokens ?? 0) * (spec.pricePerMillionTokens ?? 0)) / 1e6;
      this.runLog.record('llm_exchange', { agent: spec.name, step: this.turns.step, request: exchange.request, response: exchange.response });
    });
    agent.modelUrl = await agent.model.start();
    agent.apiKey = apiKeys ? apiKeys.get(spec.name) : 'replay';
  }

  /** One step of the run at the clock's bar: the closes, the step's signals, every agent's turn, then the board now and then. */
  private async takeStep(clock: { date: string; time: number }) {
    const step = ++this.turns.step;
    this.state.currentDate = clock.date;
    await this.recordCloses(clock.time);
    // The step's signals exist before any agent takes the step.
    await this.runSignals?.step();
    await Promise.all(this.agents.map((agent) => this.turns.turn(agent, clock.date, clock.time)));
    this.state.stepsDone = step;
    // The run shows on the board list after its first step; statistics are computed every publishEvery
    // steps (the bootstrap is the costly part), the progress of the last board at most every second.
    if (step === 1 || step % (this.options.publishEvery ?? 50) === 0) await this.publish(this.board());
    else if (this.published && Date.now() - this.publishedAt >= PROGRESS_EVERY_MS) {
      const { stepsDone, stepsTotal, currentDate } = this.state;
      await this.publish({ ...this.published, stepsDone, stepsTotal, currentDate, updatedAt: Date.now() });
    }
  }

  private async recordCloses(time: number) {
    const { benchmark } = this;
    if (benchmark.time.at(-1) === time) return;
    const quotes = await Promise.all(this.config.market.symbols.map((symbol) => this.inRun.getQuote(symbol)));
    benchmark.time.push(time);
    quotes.forEach((q, k) => benchmark.closes[k].push(q.price));
  }

  /** Over history: the run's own market, paused at `from`, stepped one bar once every agent took its turn. */
  private async lockstep() {
    const market = this.config.market as { from: string; to: string };
    // The run's length for watchers: its market's steps from `from` through `to`.
    this.state.stepsTotal = this.runMarket!.steps;
    let clock = await this.inRun.getClock();
    for (;;) {
      await this.takeStep(clock);
      if (this.stopRequested || clock.ended || clock.date >= market.to) return;
      // Only now, every turn done, may the next bar show.
      const next = await this.inRun.controlClock({ action: 'step', bars: 1 });
      if (next.time === clock.time) return;
      clock = next;
    }
  }

  /** Live: a step at each bar the default market's running clock releases, until stopped or `market.steps`. */
  private async liveLoop() {
    const steps = (this.config.market as { steps?: number }).steps ?? Infinity;
    let seen = -1;
    while (!this.stopRequested && this.turns.step < steps) {
      const clock = await this.admin.getClock();
      if (clock.time === seen) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      seen = clock.time;
      await this.takeStep(clock);
    }
  }

  /** The equity after the last turn's orders (their fees), at the last step's time; a replay that served fewer model calls than recorded diverged. */
  private async settle() {
    await Promise.all(
      this.agents.map(async (agent) => {
        const portfolio = await agent.tools.call<Portfolio>('get_portfolio').catch(() => undefined);
        const last = agent.result.equity.at(-1);
        if (portfolio && last) last.equity = portfolio.equity;
      }),
    );
    const unserved = this.agents.find((a) => a.model && a.model.unserved() > 0);
    if (unserved) throw new Error(`replay diverged: agent ${unserved.spec.name} made ${unserved.model!.unserved()} fewer model calls than the recording`);
  }

  /** Writes OUT/board.json and publishes the board; a publish that fails is reported on the run, never fatal. */
  private async publish(current: ArenaBoard) {
    this.published = current;
    this.publishedAt = Date.now();
    await writeFile(join(this.options.outDir, 'board.json'), JSON.stringify(current, null, 2));
    try {
      await (this.options.publisher ?? this.admin).publishArenaBoard(current);
      this.state.publishError = undefined;
    } catch (err) {
      // The gateway may not serve arena boards (an older one): the run goes on, and says so.
      this.state.publishError = `publishing the board failed: ${(err as Error).message}`;
      this.log.warn({ runId: this.runId, err: (err as Error).message }, 'arena board not published; it is in OUT/board.json');
    }
  }

  /** The final board, report and recording; then the agents' sessions closed, their tokens revoked and the run's market archived. */
  private async finish(): Promise<ArenaBoard> {
    const { log, runId, runLog, state, options } = this;
    const final = this.board();
    await this.publish(final).catch((err) => (state.publishError = (err as Error).message));
    const report = arenaReportHtml(this.boardInput());
    if (report) await writeFile(join(options.outDir, 'report.html'), report).catch((err) => log.error({ err }, 'cannot write the arena report'));
    runLog.record('board', { board: final });
    runLog.record('run_end', { status: state.status, steps: state.stepsDone });
    await runLog.flush().catch((err) => log.error({ err }, 'cannot write the arena run log'));
    await Promise.all(this.agents.map(async (a) => Promise.all([a.tools.close(), a.model?.close()])));
    // The agents' tokens end with the run, and its market is archived: its accounts stay readable.
    await revokeAgentTokens(this.admin, this.accountsRunId).catch((err) => log.error({ err, runId }, "cannot revoke the arena agents' API tokens"));
    const market = this.runMarket?.id;
    if (market) await this.admin.archiveMarket(market).catch((err) => log.error({ err, runId, market }, "cannot archive the arena run's market"));
    if (state.status === 'failed' && options.replayOf) log.error({ runId }, 'replay failed');
    return final;
  }
}
