import { GatewayError, type GatewayClient, type Signal } from '@tradeyard/gateway-contract';
import type { Logger } from '@tradeyard/service-kit';

export interface PosterOptions {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs?: number;
}

/** A rejection retrying cannot fix (bad request, auth); 408 and 429 are worth retrying. */
const permanent = (error: unknown) => error instanceof GatewayError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;

/**
 * Posts signals to the gateway in the background: `enqueue` returns at once so the scan loop is
 * never blocked; failures retry with exponential backoff. The gateway stores a signal once per id,
 * so a retry after a lost response is harmless (409 counts as delivered).
 */
export class SignalPoster {
  private readonly queue: { signal: Signal; attempts: number }[] = [];
  private readonly queued = new Set<string>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly client: GatewayClient,
    private readonly log: Logger,
    private readonly options: PosterOptions,
  ) {}

  enqueue(signal: Signal): void {
    if (this.stopped || this.queued.has(signal.id)) return;
    this.queued.add(signal.id);
    this.queue.push({ signal, attempts: 0 });
    void this.drain();
  }

  get pending(): number {
    return this.queue.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length && !this.stopped) {
      const item = this.queue[0];
      item.attempts++;
      try {
        await this.client.postSignal(item.signal);
        this.finish(item.signal.id);
        this.delivered++;
      } catch (error) {
        if (error instanceof GatewayError && error.status === 409) {
          this.finish(item.signal.id);
          this.delivered++;
          continue;
        }
        if (permanent(error) || item.attempts >= this.options.maxAttempts) {
          this.log.error({ signal: item.signal.id, attempts: item.attempts, err: (error as Error).message }, 'giving up posting signal');
          this.finish(item.signal.id);
          this.dropped++;
          continue;
        }
        const delay = Math.min(this.options.backoffMs * 2 ** (item.attempts - 1), this.options.maxBackoffMs ?? 30_000);
        this.log.warn({ signal: item.signal.id, attempt: item.attempts, retryInMs: delay, err: (error as Error).message }, 'signal post failed, retrying');
        await new Promise<void>((resolve) => (this.timer = setTimeout(resolve, delay)));
      }
    }
    this.running = false;
  }

  private finish(id: string) {
    this.queue.shift();
    this.queued.delete(id);
  }
}
