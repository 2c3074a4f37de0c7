import { z } from 'zod';
import * as contract from './index';

// Every text of the contract is valid text: each string schema reachable from an exported schema
// (fields, array items, record keys, unions, defaults) refuses a lone UTF-16 surrogate, which
// PostgreSQL cannot store. New schemas are covered by being exported; none needs listing here.
const LONE = '\ud800';

/** Every string schema under `schema`, with the path that leads to it. */
function stringsOf(schema: z.core.$ZodType, path: string, seen = new Set<z.core.$ZodType>()): { path: string; schema: z.ZodString }[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const under = (child: unknown, at: string) => (child ? stringsOf(child as z.core.$ZodType, at, seen) : []);
  switch (def.type) {
    case 'string':
      return [{ path, schema: schema as z.ZodString }];
    case 'object':
      return Object.entries(def.shape as Record<string, z.core.$ZodType>).flatMap(([key, child]) => under(child, `${path}.${key}`));
    case 'array':
      return under(def.element, `${path}[]`);
    case 'record':
      return [...under(def.keyType, `${path}{key}`), ...under(def.valueType, `${path}{value}`)];
    case 'tuple':
      return (def.items as z.core.$ZodType[]).flatMap((item, i) => under(item, `${path}[${i}]`));
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap((option) => under(option, path));
    case 'pipe':
      return [...under(def.in, path), ...under(def.out, path)];
    default:
      // optional, nullable, default, readonly...: the schema they wrap.
      return under(def.innerType, path);
  }
}

/** A text of the length the schema asks for that holds a lone surrogate. */
const withLoneSurrogate = (schema: z.ZodString) => LONE + 'a'.repeat(Math.max(0, (schema.minLength ?? 1) - 1));

// apiErrorSchema is the one exception: an error may quote the bad input it refuses, and clients read it as it is.
const exported = Object.entries(contract as Record<string, unknown>).filter((entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType && entry[0] !== 'apiErrorSchema');
const strings = exported.flatMap(([name, schema]) => stringsOf(schema, name));

describe('text in the gateway contract', () => {
  it('reaches the text fields of the schemas that routes take', () => {
    expect(strings.map((s) => s.path)).toEqual(expect.arrayContaining([
      'signalSchema.rule', 'signalSchema.id', 'signalSchema.values{key}', 'loginRequestSchema.username', 'arenaBoardSchema.name', 'arenaBoardSchema.rankedBy', 'arenaBoardSchema.rows[].agent',
    ]));
  });

  it.each(strings.map((s) => [s.path, s.schema] as const))('%s refuses a lone surrogate', (_path, schema) => {
    expect(schema.safeParse(withLoneSurrogate(schema)).success).toBe(false);
  });

  it('names the rule and the field, and keeps paired surrogates (an emoji)', () => {
    const signal = { id: 'a', symbol: 'SPX', rule: 'r', time: 1, close: 2 };
    expect(contract.signalSchema.safeParse({ ...signal, values: { [`rsi${LONE}`]: 1 } }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [`values.rsi${LONE}`, 'key must be valid text: no lone UTF-16 surrogate (found U+D800)'],
    ]);
    expect(contract.signalSchema.safeParse({ ...signal, rule: `r ${LONE}` }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['rule', 'must be valid text: no lone UTF-16 surrogate (found U+D800)'],
    ]);
    expect(contract.signalSchema.parse({ ...signal, rule: 'r 📈', values: { '📈': 1 } })).toMatchObject({ rule: 'r 📈', values: { '📈': 1 } });
  });
});
