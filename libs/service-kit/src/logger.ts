import pino, { type Logger } from 'pino';

export type { Logger };

// Query parameters that carry credentials (a WebSocket's ?token=, an API key); their values never reach a log.
const SECRET_QUERY = /([?&](?:token|access_token|jwt|api_key|apikey|key|password|secret)=)[^&#]*/gi;

/** The URL with the values of token-like query parameters replaced by [REDACTED]. */
export const redactUrl = (url: string) => url.replace(SECRET_QUERY, '$1[REDACTED]');

/** JSON logs to stdout, one object per line, with the service name on every line and secrets redacted. */
export function createLogger(service: string, level: string = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization', 'password', '*.password', 'token', '*.token'],
      censor: '[REDACTED]',
    },
    serializers: {
      req: (req: { method?: string; url?: string; id?: unknown }) => ({ id: req.id, method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url) }),
      url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
