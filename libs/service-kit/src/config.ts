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

// Secrets are marked by name, as every service names them: tokens, passwords, signing secrets, API keys.
const SECRET_NAME = /(?:TOKEN|SECRET|PASSWORD|API_KEY)$/;
// The password of a URL's credentials (postgres://user:password@host/db).
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/:@]*:)([^/@]*)@/i;

/** A variable whose whole value is a secret: its value is never printed. */
export const isSecretVariable = (name: string) => SECRET_NAME.test(name);

/** The secret a variable's value holds: all of a secret variable's, a URL's password; undefined for none. */
function secretIn(name: string, value: string): string | undefined {
  return isSecretVariable(name) ? value : URL_PASSWORD.exec(value)?.[2];
}

/**
 * Secret values that are published, so no secret: every placeholder of .env.example holds
 * "change-me", as do the development defaults of docker-compose.dev.yml, whose PostgreSQL password
 * is the one other. tools/test/secrets.test.mjs checks every one of those files is covered.
 */
const PLACEHOLDER_MARK = /change-?me/i;
const PUBLISHED_DEFAULTS = new Set(['tradeyard-dev-password']);
const isKnownPlaceholder = (secret: string) => PLACEHOLDER_MARK.test(secret) || PUBLISHED_DEFAULTS.has(secret);

export const KNOWN_PLACEHOLDER_RULE = 'must not be a published placeholder (.env.example, the compose defaults) in production; generate a secret, e.g. openssl rand -base64 32';

/** How an error shows a variable's value: never a secret. */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'is not set';
  if (isSecretVariable(name)) return 'is set (value hidden)';
  const shown = value.replace(URL_PASSWORD, '$1[REDACTED]@');
  return `is ${JSON.stringify(shown.length > 40 ? shown.slice(0, 40) + '…' : shown)}`;
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? '(config)');
  const value = env[name];
  const rule = issue.code === 'invalid_type' && value === undefined ? 'is required' : issue.message;
  return `invalid configuration: ${name} ${shownValue(name, value)}: ${rule}`;
}

/** In production (NODE_ENV=production, as the images set), a line for each variable of the schema holding a published placeholder. */
function placeholderLines(schema: z.ZodObject, env: Record<string, string>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  return Object.keys(schema.shape)
    .filter((name) => env[name] !== undefined && isKnownPlaceholder(secretIn(name, env[name]) ?? ''))
    .map((name) => `invalid configuration: ${name} ${shownValue(name, env[name])}: ${KNOWN_PLACEHOLDER_RULE}`);
}

/**
 * Validates the environment against a service's schema. Throws ConfigError with one line
 * per bad or missing variable, each naming the variable and the rule it breaks (and its value,
 * unless it is a secret).
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings mean "unset" so that `FOO=` in an .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const result = schema.safeParse(cleaned);
  const lines = [...(result.success ? [] : result.error.issues.map((issue) => describeIssue(issue, env))), ...placeholderLines(schema, cleaned)];
  if (lines.length) throw new ConfigError(lines);
  return result.data as z.infer<S>;
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
