/**
 * A record whose entries are made when first read: `make(key)` for one key (get, `in`), every key
 * from `keys()` once it is enumerated (Object.keys, for-in, spread, JSON). It behaves as the
 * plain object it stands for, read-only. Why by hand: a strategy's view of 500 positions per
 * decision was a fifth of a wide backtest's time, and most decisions read one position or none.
 */
export function lazyRecord<V extends object>(keys: () => readonly string[], make: (key: string) => V | undefined): Readonly<Record<string, V>> {
  const target: Record<string, V> = {};
  let complete = false;
  const entry = (key: string): V | undefined => {
    if (Object.prototype.hasOwnProperty.call(target, key)) return target[key];
    if (complete) return undefined;
    const value = make(key);
    if (value !== undefined) Object.defineProperty(target, key, { value, enumerable: true, configurable: true });
    return value;
  };
  const fill = () => {
    if (complete) return;
    for (const key of keys()) entry(key);
    complete = true;
  };
  return new Proxy(target, {
    get: (t, key) => (typeof key === 'string' ? entry(key) : Reflect.get(t, key)),
    has: (t, key) => (typeof key === 'string' ? entry(key) !== undefined : Reflect.has(t, key)),
    ownKeys: (t) => (fill(), Reflect.ownKeys(t)),
    getOwnPropertyDescriptor: (t, key) => (fill(), Reflect.getOwnPropertyDescriptor(t, key)),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
