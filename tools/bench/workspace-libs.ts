// How the benches load the libraries: their TypeScript sources through a tsx namespace that reads
// tsconfig.base.json, where the @tradeyard/* path aliases live (the root tsconfig.json only lists
// project references). Worker threads that re-enter a bench load them the same way.
import { resolve } from 'node:path';
import { register } from 'tsx/cjs/api';

/** A loader of workspace modules by path relative to tools/bench (e.g. '../../libs/money/src/index.ts'). */
export function workspaceLibs(namespace: string): <T>(path: string) => T {
  process.env.TSX_TSCONFIG_PATH ??= resolve(__dirname, '../../tsconfig.base.json');
  const tsx = register({ namespace });
  return <T>(path: string): T => tsx.require(path, __filename);
}
