import type { DependencyUnavailableError } from '@tradeyard/service-kit';
import { recogniseUnavailable } from '@tradeyard/service-kit';
import type { FastifyInstance } from 'fastify';

// The gateway answers errors with the platform's one error plugin; HttpError and parseInput are the kit's.
export { HttpError, parseInput } from '@tradeyard/service-kit';

/**
 * The kit's error plugin (which createService installs) renders every gateway error; here it learns
 * which errors of the gateway's clients (a Redis client error) mean a down dependency: 503 with
 * Retry-After, so clients know to come back rather than that the request was wrong.
 */
export function installErrorHandling(app: FastifyInstance, unavailable: (error: Error) => DependencyUnavailableError | undefined = () => undefined) {
  recogniseUnavailable(app, unavailable);
}
