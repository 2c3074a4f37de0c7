import { z } from 'zod';
import { ConfigError, KNOWN_PLACEHOLDER_RULE, baseConfigShape, parseConfig, portVar, urlVar } from './config';

const schema = z.object({ ...baseConfigShape(8081), GATEWAY_URL: urlVar().optional() });

describe('parseConfig', () => {
  it('applies defaults when nothing is set', () => {
    expect(parseConfig(schema, {})).toEqual({ PORT: 8081, HOST: '0.0.0.0', LOG_LEVEL: 'info' });
  });

  it('coerces numbers and treats empty strings as unset', () => {
    expect(parseConfig(schema, { PORT: '9000', LOG_LEVEL: '' }).PORT).toBe(9000);
  });

  it('names the variable, its value and the rule on one line per problem', () => {
    let error: unknown;
    try {
      parseConfig(schema, { PORT: 'eighty', LOG_LEVEL: 'loud', GATEWAY_URL: 'localhost:8080' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).lines;
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('invalid configuration: PORT is "eighty": must be a whole number');
    expect(lines[1]).toMatch(/^invalid configuration: LOG_LEVEL is "loud": must be one of fatal, error/);
    expect(lines[2]).toMatch(/^invalid configuration: GATEWAY_URL is "localhost:8080": must/);
  });

  it('rejects out-of-range ports', () => {
    expect(() => parseConfig(schema, { PORT: '70000' })).toThrow(/PORT is "70000": must be between 1 and 65535/);
  });

  it('says a required variable is not set', () => {
    const required = z.object({ SCANNER_TOKEN: z.string().min(16) });
    expect(() => parseConfig(required, {})).toThrow('invalid configuration: SCANNER_TOKEN is not set: is required');
  });
});

describe('secrets in the configuration', () => {
  const secrets = z.object({
    PORT: portVar(8080),
    SCANNER_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    DATABASE_URL: z.string().regex(/^postgres:\/\//, 'must be a postgres:// URL').optional(),
  });
  const problems = (env: Record<string, string>) => {
    try {
      parseConfig(secrets, env);
      return [];
    } catch (err) {
      return (err as ConfigError).lines;
    }
  };

  it('names a refused secret and its rule, never its value', () => {
    expect(problems({ SCANNER_TOKEN: 'undefined' })).toEqual(['invalid configuration: SCANNER_TOKEN is set (value hidden): must be at least 16 characters']);
    expect(problems({ SCANNER_TOKEN: 'a-real-token-0123456789', ADMIN_PASSWORD: 'hunter2' })).toEqual(['invalid configuration: ADMIN_PASSWORD is set (value hidden): must be at least 8 characters']);
  });

  it("shows a URL's password redacted", () => {
    expect(problems({ SCANNER_TOKEN: 'a-real-token-0123456789', DATABASE_URL: 'mysql://app:s3cret-pass@db/app' })).toEqual([
      'invalid configuration: DATABASE_URL is "mysql://app:[REDACTED]@db/app": must be a postgres:// URL',
    ]);
  });

  it('refuses published placeholders in production only, naming the variable and the rule', () => {
    const placeholders = { SCANNER_TOKEN: 'change-me-scanner-token-at-least-32-chars', DATABASE_URL: 'postgres://tradeyard:tradeyard-dev-password@postgres:5432/tradeyard' };
    expect(problems({ ...placeholders, NODE_ENV: 'production' })).toEqual([
      `invalid configuration: SCANNER_TOKEN is set (value hidden): ${KNOWN_PLACEHOLDER_RULE}`,
      `invalid configuration: DATABASE_URL is "postgres://tradeyard:[REDACTED]@postgres…": ${KNOWN_PLACEHOLDER_RULE}`,
    ]);
    expect(problems(placeholders)).toEqual([]);
    expect(problems({ SCANNER_TOKEN: 'a-real-token-0123456789', NODE_ENV: 'production' })).toEqual([]);
  });
});
