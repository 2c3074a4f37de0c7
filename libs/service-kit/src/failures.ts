import { createLogger } from './logger';

// The failure every layer raises when a dependency is down lives in runtime-util (persistence raises it
// too); the kit re-exports it because its error plugin is what answers it with 503.
export { DependencyUnavailableError } from '@tradeyard/runtime-util';

let installed = false;

/**
 * The one policy every process of the platform has for errors nothing handled: log them as
 * `fatal` JSON and exit 1 so the supervisor (npm start, Docker, Swarm) restarts the process.
 * Continuing after such an error would run on state nobody can vouch for.
 */
export function exitOnUnhandledErrors(serviceName: string): void {
  if (installed) return;
  installed = true;
  const log = createLogger(serviceName, 'info');
  const die = (kind: string) => (err: unknown) => {
    // pino's default stdout destination writes synchronously, so the line is out before exit.
    log.fatal({ err, kind }, `${kind}: exiting so the supervisor restarts the service`);
    process.exit(1);
  };
  process.on('unhandledRejection', die('unhandled promise rejection'));
  process.on('uncaughtException', die('uncaught exception'));
}
