import { urlVar } from '@tradeyard/service-kit';
import { strategyNames, strategySpecSchema, type StrategySpec } from '@tradeyard/strategies';
import { strategiesConfigShape, strategyRefSchema } from '@tradeyard/strategy-loader';
import { z } from 'zod';

/** An SDK strategy the agent loads at start: `file:PATH` or the name of a strategy in STRATEGIES_DIR, with its parameters. */
export interface SdkStrategyRef {
  ref: string;
  params: Record<string, unknown>;
}
/** What AGENT_STRATEGY stands for: a built-in strategy with its parameters, or an SDK strategy. */
export type AgentStrategy = StrategySpec | SdkStrategyRef;
export const isSdkStrategy = (strategy: AgentStrategy): strategy is SdkStrategyRef => 'ref' in strategy;

const isBuiltin = (name: unknown) => (strategyNames as readonly unknown[]).includes(name);

/**
 * AGENT_STRATEGY: a built-in's name or JSON spec ({"name":"sma-cross","fast":10,"slow":30}), or an
 * SDK strategy — `file:PATH`, the name of a strategy in STRATEGIES_DIR, or either as the name of a
 * JSON spec whose other keys are its parameters ({"name":"file:./rotation.ts","lookback":90}).
 * An SDK strategy's parameters are checked when it is loaded.
 */
const strategyVar = z
  .string()
  .transform((raw, ctx): AgentStrategy => {
    let value: Record<string, unknown> = { name: raw.trim() };
    if (raw.trim().startsWith('{')) {
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a strategy name, file:PATH or valid JSON' });
        return z.NEVER;
      }
    }
    const { name, ...params } = value ?? {};
    const parsed = isBuiltin(name) || typeof name !== 'string' ? strategySpecSchema.safeParse(value) : strategyRefSchema.transform((ref) => ({ ref, params })).safeParse(name);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => [...i.path, i.message].join(': ')).join('; ') });
      return z.NEVER;
    }
    return parsed.data;
  });

/** The live agent's variables; the trading-agent app spreads this shape into its config schema. */
export const liveAgentConfigShape = {
  MCP_URL: urlVar().default('http://127.0.0.1:8000/mcp').describe('Streamable HTTP endpoint of the mcp-tools server the agent trades through'),
  MCP_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional().describe('Bearer token for MCP_URL'),
  AGENT_SYMBOLS: z
    .string()
    .default('SPX')
    .transform((s) => [...new Set(s.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean))])
    .pipe(z.array(z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,19}$/, 'each symbol must be 1-20 capital letters, digits, dot, dash or underscore')).min(1, 'must name at least one symbol'))
    .describe('Comma-separated symbols the agent trades; a built-in strategy splits equity equally between them; an SDK strategy trades them as its universe unless it declares its own'),
  AGENT_STRATEGY: strategyVar
    .default({ name: 'sma-cross', fast: 10, slow: 30 })
    .describe(
      'A built-in strategy (buy-and-hold, sma-cross, rsi-reversion, breakout), file:PATH of a strategy file written with @tradeyard/strategy, or the name of one in STRATEGIES_DIR; or a JSON spec of one with its parameters ({"name":"file:./rotation.ts","lookback":90})',
    ),
  AGENT_INTERVAL_MS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').default(5000).describe('Milliseconds between the starts of two decision cycles; an SDK strategy\'s cycle decides on the bars the market clock released since the last one'),
  AGENT_MAX_STEP: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(30).describe('Most model calls per LLM decision'),
  OPENAI_API_BASE: urlVar().default('https://api.openai.com/v1').describe('Base URL of an OpenAI-compatible chat-completions API (LLM mode)'),
  OPENAI_API_KEY: z.string().min(1).optional().describe('API key; set, the agent decides with the model (LLM mode), unset it runs rule-based'),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini').describe('Model name for LLM mode'),
  DATA_DIR: z.string().min(1).default('data').describe('Folder for run logs (agent-runs/<runId>.jsonl), a live SDK strategy\'s state (strategy-state/<name>.json) and backtest-worker results'),
  ...strategiesConfigShape,
};
export const liveAgentConfigSchema = z.object(liveAgentConfigShape);
export type LiveAgentConfig = z.infer<typeof liveAgentConfigSchema>;
