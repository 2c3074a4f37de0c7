import { z } from 'zod';
import { ConfigError, baseConfigShape, parseConfig, urlVar } from './config';

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
    const required = z.object({ SERVICE_TOKEN: z.string().min(16) });
    expect(() => parseConfig(required, {})).toThrow('invalid configuration: SERVICE_TOKEN is not set: is required');
  });
});
