import { urlVar } from '@tradeyard/service-kit';
import { strategySpecSchema, type StrategySpec } from '@tradeyard/strategies';
import { z } from 'zod';

/** AGENT_STRATEGY: a strategy name (its default parameters) or a JSON spec such as {"name":"sma-cross","fast":10,"slow":30}. */
const strategyVar = z
  .string()
  .transform((raw, ctx): StrategySpec => {
    let value: unknown = { name: raw.trim() };
    if (raw.trim().startsWith('{')) {
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a strategy name or valid JSON' });
        return z.NEVER;
      }
    }
    const parsed = strategySpecSchema.safeParse(value);
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
    .describe('Comma-separated symbols the agent trades; equity is split equally between them'),
  AGENT_STRATEGY: strategyVar
    .default({ name: 'sma-cross', fast: 10, slow: 30 })
    .describe('Strategy name (buy-and-hold, sma-cross, rsi-reversion, breakout) or its JSON spec with parameters'),
  AGENT_INTERVAL_MS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').default(5000).describe('Milliseconds between the starts of two decision cycles'),
  AGENT_MAX_STEP: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(30).describe('Most model calls per LLM decision'),
  OPENAI_API_BASE: urlVar().default('https://api.openai.com/v1').describe('Base URL of an OpenAI-compatible chat-completions API (LLM mode)'),
  OPENAI_API_KEY: z.string().min(1).optional().describe('API key; set, the agent decides with the model (LLM mode), unset it runs rule-based'),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini').describe('Model name for LLM mode'),
  DATA_DIR: z.string().min(1).default('data').describe('Folder for run logs (agent-runs/<runId>.jsonl) and backtest-worker results'),
};
export const liveAgentConfigSchema = z.object(liveAgentConfigShape);
export type LiveAgentConfig = z.infer<typeof liveAgentConfigSchema>;
