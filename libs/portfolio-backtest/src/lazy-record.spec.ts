import { lazyRecord } from './lazy-record';

describe('lazyRecord', () => {
  const made: string[] = [];
  const record = () => {
    made.length = 0;
    return lazyRecord(
      () => ['A', 'B'],
      (key) => (key === 'A' || key === 'B' ? (made.push(key), { key }) : undefined),
    );
  };

  it('makes an entry when it is read, once', () => {
    const r = record();
    expect(r.A).toEqual({ key: 'A' });
    expect(r.A).toBe(r.A);
    expect('B' in r).toBe(true);
    expect('C' in r).toBe(false);
    expect(r.C).toBeUndefined();
    expect(made).toEqual(['A', 'B']);
  });

  it('enumerates as the plain object it stands for: keys, entries, spread, JSON', () => {
    const r = record();
    expect(Object.keys(r)).toEqual(['A', 'B']);
    expect(Object.entries(r)).toEqual([
      ['A', { key: 'A' }],
      ['B', { key: 'B' }],
    ]);
    expect({ ...r }).toEqual({ A: { key: 'A' }, B: { key: 'B' } });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ A: { key: 'A' }, B: { key: 'B' } });
    expect(made).toEqual(['A', 'B']);
  });

  it('is read-only', () => {
    const r = record() as Record<string, unknown>;
    expect(() => {
      'use strict';
      r.A = 1;
    }).toThrow(TypeError);
    expect(() => delete r.A).toThrow(TypeError);
    expect(r.A).toEqual({ key: 'A' });
  });
});
