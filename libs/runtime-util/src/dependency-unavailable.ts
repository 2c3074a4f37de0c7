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
