import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageAsset } from './assets';

describe('packageAsset', () => {
  it('reads the file from the installed package when it is not beside the bundle', () => {
    const path = packageAsset('no-such-folder/data.json', 'zod', 'package.json');
    expect(path).toMatch(/node_modules[\\/]zod[\\/]package\.json$/);
    expect(existsSync(path)).toBe(true);
  });

  it('prefers the copy beside the bundle', () => {
    expect(packageAsset('assets.ts', 'zod', 'package.json')).toBe(join(__dirname, 'assets.ts'));
  });

  it('names a package that is not installed', () => {
    expect(() => packageAsset('nothing', 'no-such-package-tradeyard', 'x')).toThrow('package no-such-package-tradeyard is not installed');
  });
});
