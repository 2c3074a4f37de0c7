import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { symbolSchema } from '@tradeyard/market-data';
import { strategySpecSchema } from '@tradeyard/strategies';
import { isStrategyFileRef, strategyRefSchema } from '@tradeyard/strategy-loader';
import { z } from 'zod';
import { apiKeyVarRefusal, baseUrlRefusal, type ModelAccessPolicy } from './model-access';

/** Agent names become part of account ids and file keys: the shape arenaAccountIdSchema allows. */
const agentNameSchema = z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'must be 1-40 letters, digits, dash or underscore');
const nonNegative = z.number({ error: 'must be a number' }).finite('must be a finite number').min(0, 'must be 0 or more');

const ruleAgentSchema = z.strictObject({
  kind: z.literal('rule'),
  name: agentNameSchema,
  /** A strategy of @tradeyard/strategies with its parameters, e.g. {"name":"sma-cross","fast":10,"slow":30}. */
  strategy: strategySpecSchema,
});

const llmAgentSchema = z.strictObject({
  kind: z.literal('llm'),
  name: agentNameSchema,
  /** An OpenAI-compatible chat-completions API, e.g. https://api.openai.com/v1. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  model: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  /** The NAME of the environment variable holding the API key: keys never sit in a config file or a recording. */
  apiKeyVar: z.string({ error: 'must be a string' }).regex(/^[A-Z_][A-Z0-9_]{0,99}$/, 'must be an environment variable name (capital letters, digits, underscore)'),
  /** Model calls per turn at most. */
  maxSteps: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(10),
  /** Inference price per million tokens (prompt and completion alike), for the board's inference cost. */
  pricePerMillionTokens: nonNegative.optional(),
});

const strategyAgentSchema = z.strictObject({
  kind: z.literal('strategy'),
  name: agentNameSchema,
  /**
   * A strategy written with @tradeyard/strategy: the name of one in STRATEGIES_DIR, or `file:PATH`
   * (only in a config file given on the command line, relative to its folder; never over HTTP).
   */
  strategy: strategyRefSchema,
  /** Its parameters, checked against its declarations when the run starts. */
  params: z.record(z.string(), z.unknown(), { error: 'must be an object of parameter values' }).default({}),
});

export const arenaAgentSchema = z.discriminatedUnion('kind', [ruleAgentSchema, llmAgentSchema, strategyAgentSchema], { error: 'kind must be rule, llm or strategy' });
export type ArenaAgent = z.infer<typeof arenaAgentSchema>;
export type LlmArenaAgent = z.infer<typeof llmAgentSchema>;
export type StrategyArenaAgent = z.infer<typeof strategyAgentSchema>;

const symbolsSchema = z.array(symbolSchema).min(1, 'must name at least one symbol').max(50, 'must name at most 50 symbols');

/** Over history: the clock restarts at `from` and steps one bar when every agent has taken its turn, up to `to`. */
const historyMarketSchema = z
  .strictObject({ symbols: symbolsSchema, from: calendarDateSchema, to: calendarDateSchema })
  .refine((m) => m.to > m.from, { path: ['to'], error: 'must be after from' })
  .meta({ title: 'over history' });
/** Live: agents act at every bar the running clock releases, `steps` times (default: until stopped). */
const liveMarketSchema = z.strictObject({
  live: z.literal(true),
  symbols: symbolsSchema,
  steps: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').optional(),
}).meta({ title: 'live' });

/**
 * The costs every agent trades under. They are the gateway's (FEE_BPS, FEE_PER_SHARE,
 * SLIPPAGE_BPS are global, one set per deployment, so every arena account pays the same): the
 * config states what it expects, and the runner checks each fill's fee against feeBps and
 * feePerShare (a mismatch fails the run). Slippage cannot be checked from a fill alone: it is stated only.
 */
const costsSchema = z
  .strictObject({ feeBps: nonNegative.max(1000, 'must be at most 1000'), feePerShare: nonNegative, slippageBps: nonNegative.max(1000, 'must be at most 1000') })
  .partial();

export const arenaConfigSchema = z
  .strictObject({
    name: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    /** Seeds the ranking's bootstrap; LLM agents get it as their sampling seed. */
    seed: z.number({ error: 'must be a number' }).int('must be a whole number').default(1),
    market: z.union([historyMarketSchema, liveMarketSchema], { error: 'must be {symbols, from, to} or {live: true, symbols}' }),
    /** Cash each agent starts with: the gateway's PAPER_STARTING_CASH (checked at the start of the run). */
    startingCash: z.number({ error: 'must be a number' }).positive('must be greater than 0').default(100_000),
    costs: costsSchema.default({}),
    agents: z.array(arenaAgentSchema).min(1, 'must name at least one agent').max(20, 'must name at most 20 agents'),
    /**
     * A memorization probe: the run becomes three legs, each agent trading the real symbol, then
     * the gateway's disguised copy of it (MARKET_PROBE), then its synthetic twin, on the same
     * number of bars. The market must be history on this one symbol.
     */
    probe: z.strictObject({ symbol: symbolSchema }).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.probe) {
      if (isLive(config.market)) ctx.addIssue({ code: 'custom', path: ['probe'], message: 'needs a market over history ({symbols, from, to}), not live' });
      else if (config.market.symbols.length !== 1 || config.market.symbols[0] !== config.probe.symbol)
        ctx.addIssue({ code: 'custom', path: ['market', 'symbols'], message: `must be ["${config.probe.symbol}"] alone with a probe of ${config.probe.symbol}` });
    }
    const seen = new Set<string>();
    config.agents.forEach((agent, index) => {
      if (seen.has(agent.name)) ctx.addIssue({ code: 'custom', path: ['agents', index, 'name'], message: `must be unique; ${agent.name} is named twice` });
      seen.add(agent.name);
    });
  });
export type ArenaConfig = z.infer<typeof arenaConfigSchema>;
export type ArenaConfigInput = z.input<typeof arenaConfigSchema>;

/** The config as JSON Schema (what a client may send, defaults included): the arena page builds its start form from it. */
export const arenaConfigJsonSchema = () => z.toJSONSchema(arenaConfigSchema, { io: 'input' });

/** Each LLM agent's apiKeyVar and baseUrl the operator's policy refuses, by key path. */
export function modelAccessIssues(agents: readonly ArenaAgent[], policy: ModelAccessPolicy): Array<{ path: [string, number, string]; rule: string }> {
  return agents.flatMap((agent, index) => {
    if (agent.kind !== 'llm') return [];
    const refusals = { apiKeyVar: apiKeyVarRefusal(agent.apiKeyVar, policy), baseUrl: baseUrlRefusal(agent.baseUrl, policy) };
    return Object.entries(refusals).flatMap(([key, rule]) => (rule ? [{ path: ['agents', index, key] as [string, number, string], rule }] : []));
  });
}

/** The arena config as this operator allows it: the structural schema plus the model access policy (the HTTP route's body). */
export const arenaConfigSchemaFor = (policy: ModelAccessPolicy) =>
  arenaConfigSchema.superRefine((config, ctx) => {
    for (const issue of modelAccessIssues(config.agents, policy)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.rule });
  });

/**
 * The arena config as the HTTP API takes it: the operator's policy, and strategies by name only —
 * a `file:` path would let a caller run any file the service can read as code.
 */
export const arenaApiConfigSchema = (policy: ModelAccessPolicy) =>
  arenaConfigSchemaFor(policy).superRefine((config, ctx) => {
    config.agents.forEach((agent, index) => {
      if (agent.kind === 'strategy' && isStrategyFileRef(agent.strategy)) {
        ctx.addIssue({ code: 'custom', path: ['agents', index, 'strategy'], message: 'must be the name of a strategy in STRATEGIES_DIR: the HTTP API runs no file paths or code' });
      }
    });
  });

/**
 * The API key of each LLM agent, by agent name: the one place the arena reads a key from the
 * environment, and only for a variable and a model endpoint the policy allows. Throws
 * ArenaConfigError naming each refused or unset variable.
 */
export function readModelApiKeys(config: ArenaConfig, policy: ModelAccessPolicy, env: Record<string, string | undefined>): Map<string, string> {
  const issues = modelAccessIssues(config.agents, policy).map((i) => ({ field: i.path.join('.'), rule: i.rule }));
  if (issues.length) throw new ArenaConfigError(issues);
  const keys = new Map<string, string>();
  config.agents.forEach((agent, index) => {
    if (agent.kind !== 'llm') return;
    const key = env[agent.apiKeyVar];
    if (key) keys.set(agent.name, key);
    else issues.push({ field: `agents.${index}.apiKeyVar`, rule: `environment variable ${agent.apiKeyVar} is not set` });
  });
  if (issues.length) throw new ArenaConfigError(issues);
  return keys;
}

export class ArenaConfigError extends Error {
  constructor(readonly issues: Array<{ field: string; rule: string }>) {
    super(issues.map((i) => `${i.field}: ${i.rule}`).join('; '));
    this.name = 'ArenaConfigError';
  }
}

/** Validates a parsed config (against the operator's policy when given); a bad one throws ArenaConfigError naming each key's path (`agents.2.model: ...`). */
export function parseArenaConfig(input: unknown, policy?: ModelAccessPolicy): ArenaConfig {
  const parsed = (policy ? arenaConfigSchemaFor(policy) : arenaConfigSchema).safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ArenaConfigError(parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(config)', rule: issue.message })));
}

/** Parses a config file's text (JSON). */
export function parseArenaConfigText(text: string, policy?: ModelAccessPolicy): ArenaConfig {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new ArenaConfigError([{ field: '(config)', rule: `must be JSON: ${(err as Error).message}` }]);
  }
  return parseArenaConfig(input, policy);
}

export const isLive = (market: ArenaConfig['market']): market is z.infer<typeof liveMarketSchema> => 'live' in market;
