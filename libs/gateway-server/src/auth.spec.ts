import type { Database } from '@tradeyard/persistence';
import * as crypto from 'node:crypto';

// Counts KDF runs: auth.ts binds crypto.scrypt when it loads, so the mock must be in place first.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof crypto>('node:crypto');
  return { ...actual, scrypt: jest.fn(actual.scrypt) };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkLogin, hashPassword } = require('./auth') as typeof import('./auth');

const scrypt = crypto.scrypt as unknown as jest.Mock;
const usersTable = (rows: unknown[]) => ({ query: async () => rows }) as unknown as Database;

describe('login timing', () => {
  it('runs the KDF exactly once for a known user, a wrong password and an unknown user', async () => {
    const known = usersTable([{ username: 'alice', password_hash: await hashPassword('right-password'), role: 'trader' }]);
    const counts: number[] = [];
    for (const [db, password] of [[known, 'right-password'], [known, 'wrong-password'], [usersTable([]), 'any-password']] as const) {
      scrypt.mockClear();
      await checkLogin(db, 'alice', password);
      counts.push(scrypt.mock.calls.length);
    }
    expect(counts).toEqual([1, 1, 1]);
  });
});
