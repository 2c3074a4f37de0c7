import { createLogger } from './logger';

/**
 * A request could not be served because a dependency (database, Redis, an upstream service) is
 * down or not answering. HTTP layers answer it with 503, a Retry-After header and a JSON body
 * {error: 'unavailable', message}; it is never a crash and never a 500.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    message: string,
    readonly retryAfterSeconds = 2,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable: ${message}`, options);
    this.name = 'DependencyUnavailableError';
  }
}

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
