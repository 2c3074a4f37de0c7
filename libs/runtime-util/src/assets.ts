import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The installed package's folder, found without resolving its entry (some export no CJS entry). */
function packageRoot(pkg: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (existsSync(join(dir, pkg, 'package.json'))) return join(dir, pkg);
  }
  throw new Error(`package ${pkg} is not installed`);
}

/**
 * A data file an npm package ships (market history, WASM, a browser script): in a container it
 * sits next to the esbuild bundle at `besideBundle` (docker/Dockerfile copies it there, since
 * images carry no node_modules); from a checkout it is read from the installed package.
 */
export function packageAsset(besideBundle: string, pkg: string, inPackage: string): string {
  const local = join(__dirname, besideBundle);
  return existsSync(local) ? local : join(packageRoot(pkg), inPackage);
}
