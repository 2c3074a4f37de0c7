import { z } from 'zod';

/** Log levels pino understands; shared so every service validates LOG_LEVEL the same way. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A TCP port given as an environment string. */
export const portVar = (defaultPort: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(defaultPort);

/** An absolute http(s) URL. */
export const urlVar = () =>
  z
    .string()
    .url('must be an absolute URL such as http://127.0.0.1:8080')
    .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

/** Variables every service reads (design card, "Names every service shares"). */
export const baseConfigShape = (defaultPort: number) => ({
  PORT: portVar(defaultPort).describe('TCP port the service listens on'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to bind; 127.0.0.1 keeps it local'),
  LOG_LEVEL: z
    .enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` })
    .default('info')
    .describe('Minimum level of the JSON logs written to stdout'),
});

export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? '(config)');
  const value = env[name];
  const shown = value === undefined ? 'is not set' : `is ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  const rule = issue.code === 'invalid_type' && value === undefined ? 'is required' : issue.message;
  return `invalid configuration: ${name} ${shown}: ${rule}`;
}

/**
 * Validates the environment against a service's schema. Throws ConfigError with one line
 * per bad or missing variable, each naming the variable and the rule it breaks.
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings mean "unset" so that `FOO=` in an .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, env)));
  }
  return result.data;
}

/** parseConfig for a process entry point: prints the lines to stderr and exits 1 on error. */
export function loadConfigOrExit<S extends z.ZodObject>(schema: S, env = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.lines.join('\n') + '\n');
      process.exit(1);
    }
    throw err;
  }
}
