/**
 * Where the SDK module of the running process publishes itself, so that a strategy file loaded at
 * run time (libs/strategy-loader) imports this very instance — inside the bundled app too, where
 * no `@tradeyard/strategy` package exists on disk.
 */
export const SDK_GLOBAL = 'tradeyard.strategy-sdk';

const key = Symbol.for(SDK_GLOBAL);

/** Publishes the SDK's user-facing exports (done once by the SDK's index). */
export function registerSdk(api: Readonly<Record<string, unknown>>): void {
  (globalThis as Record<symbol, unknown>)[key] = api;
}

/** The published SDK exports, or undefined when the SDK was never imported in this process. */
export const registeredSdk = (): Readonly<Record<string, unknown>> | undefined => (globalThis as Record<symbol, unknown>)[key] as Readonly<Record<string, unknown>> | undefined;
