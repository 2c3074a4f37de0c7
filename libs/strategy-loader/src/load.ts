import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStrategyDefinition, registeredSdk, SDK_GLOBAL, StrategyDefinitionError, type AnyStrategyDefinition } from '@tradeyard/strategy';

/** A strategy file that cannot be used: which file, which key (or line) and the rule; its message is the one line a user sees. */
export class StrategyLoadError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly rule: string,
  ) {
    super(`${file}: ${key}: ${rule}`);
    this.name = 'StrategyLoadError';
  }
}

export interface LoadedStrategy {
  /** The file's absolute path. */
  file: string;
  definition: AnyStrategyDefinition;
}

/** The specifier strategy files import the SDK by. */
export const SDK_SPECIFIER = '@tradeyard/strategy';

/** The source of the module that stands for the SDK in a loaded file: the exports this process's SDK registered. */
function sdkModuleSource(): string {
  const sdk = registeredSdk();
  if (!sdk) throw new Error(`${SDK_SPECIFIER} is not loaded in this process`);
  const names = Object.keys(sdk).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  return `const sdk = globalThis[Symbol.for(${JSON.stringify(SDK_GLOBAL)})];\nexport const { ${names.join(', ')} } = sdk;\n`;
}

// `import()` written in a function body: the CommonJS transforms (Jest's, the app bundle's) would turn a plain import() into require().
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

type Esbuild = typeof import('esbuild');
let esbuild: Esbuild | null | undefined;

/**
 * esbuild when the process can load it (the repository, npm start, CI: the app bundle keeps it
 * external), else null (the container image ships no node_modules).
 */
function loadEsbuild(): Esbuild | null {
  if (esbuild === undefined) {
    try {
      esbuild = nodeModule.createRequire(__filename)('esbuild') as Esbuild;
    } catch {
      esbuild = null;
    }
  }
  return esbuild;
}

/**
 * Bundles a strategy file with esbuild into one CommonJS module: TypeScript stripped, its relative
 * imports and packages inlined, node: built-ins left to Node, and `@tradeyard/strategy` mapped to a
 * virtual module that reads this process's SDK instance.
 */
async function bundle(build: Esbuild['build'], file: string): Promise<string> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    sourcemap: 'inline',
    plugins: [
      {
        name: 'tradeyard-strategy-sdk',
        setup(b) {
          b.onResolve({ filter: /^@tradeyard\/strategy$/ }, () => ({ path: SDK_SPECIFIER, namespace: 'tradeyard-sdk' }));
          b.onLoad({ filter: /.*/, namespace: 'tradeyard-sdk' }, () => ({ contents: sdkModuleSource(), loader: 'js' }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** An esbuild failure as the one line of its first error: the line and column, and what is wrong. */
function buildError(file: string, err: unknown): StrategyLoadError {
  const first = (err as { errors?: Array<{ text: string; location: { line: number; column: number } | null }> }).errors?.[0];
  if (!first) return new StrategyLoadError(file, 'load', err instanceof Error ? err.message : String(err));
  return new StrategyLoadError(file, first.location ? `line ${first.location.line}:${first.location.column + 1}` : 'load', first.text);
}

interface NodeHooks {
  registerHooks?: (hooks: {
    resolve?: (specifier: string, context: unknown, next: (specifier: string, context: unknown) => unknown) => unknown;
    load?: (url: string, context: unknown, next: (url: string, context: unknown) => unknown) => unknown;
  }) => unknown;
}
let hooked = false;

/**
 * Without esbuild (the container image): Node (22.15 and later) strips the TypeScript itself, and
 * a module hook maps `@tradeyard/strategy` to the same virtual module. A query of the file's
 * modification time makes an edited file load anew.
 */
async function importNatively(file: string): Promise<Record<string, unknown>> {
  const { registerHooks } = nodeModule as unknown as NodeHooks;
  if (!registerHooks) throw new StrategyLoadError(file, 'load', `loading strategy files needs esbuild or Node.js 22.15 or later (this is ${process.version})`);
  if (!hooked) {
    const virtual = 'tradeyard-sdk:strategy';
    registerHooks({
      resolve: (specifier, context, next) => (specifier === SDK_SPECIFIER ? { url: virtual, shortCircuit: true } : next(specifier, context)),
      load: (url, context, next) => (url === virtual ? { format: 'module', source: sdkModuleSource(), shortCircuit: true } : next(url, context)),
    });
    hooked = true;
  }
  return importModule(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`);
}

/**
 * Evaluates the file's module: esbuild's bundle, written to a temporary file and required (the
 * module system of the caller runs it: Node's in the app, Jest's in a spec, so it sees the same
 * global SDK registry), else Node's own loader. The temporary file goes at once.
 */
async function evaluate(file: string): Promise<Record<string, unknown>> {
  const build = loadEsbuild()?.build;
  if (!build) return importNatively(file);
  let code: string;
  try {
    code = await bundle(build, file);
  } catch (err) {
    throw buildError(file, err);
  }
  const temporary = join(tmpdir(), `tradeyard-strategy-${randomUUID()}.js`);
  writeFileSync(temporary, code);
  const load = nodeModule.createRequire(__filename);
  try {
    return load(temporary) as Record<string, unknown>;
  } finally {
    delete load.cache[temporary];
    rmSync(temporary, { force: true });
  }
}

/**
 * Loads a strategy file (.ts or .js, anywhere on disk): its default export must be what
 * defineStrategy returned. Every failure is a StrategyLoadError whose message is one line naming
 * the file, the key (or the line) and the rule.
 */
export async function loadStrategyFile(path: string): Promise<LoadedStrategy> {
  const file = resolve(path);
  try {
    readFileSync(file);
  } catch (err) {
    throw new StrategyLoadError(file, 'file', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await evaluate(file);
  } catch (err) {
    if (err instanceof StrategyLoadError) throw err;
    if (err instanceof StrategyDefinitionError) throw new StrategyLoadError(file, err.key, err.rule);
    throw new StrategyLoadError(file, 'load', `${err instanceof Error ? err.message : String(err)}`.split('\n')[0]);
  }
  const definition = exports.default;
  if (!isStrategyDefinition(definition)) {
    throw new StrategyLoadError(file, 'default export', `must be a strategy: export default defineStrategy({ ... }) from '${SDK_SPECIFIER}'`);
  }
  return { file, definition };
}
