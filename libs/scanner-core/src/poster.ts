import { GatewayError, MAX_SIGNAL_BATCH, type GatewayClient, type Signal } from '@tradeyard/gateway-contract';
import { backoffDelay } from '@tradeyard/runtime-util';
import type { Logger } from '@tradeyard/service-kit';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PosterOptions {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs?: number;
  /** JSONL file that keeps unsent signals across a restart; unset: memory only. */
  pendingFile?: string;
}

/**
 * The poster's queue on disk, as an append-only JSONL journal ({"add": signal} / {"done": id}),
 * so each change is one small append rather than a rewrite of the whole queue. At start, and
 * when finished entries pile up, it is compacted to the live entries by write-and-rename, so a
 * crash mid-write leaves either the old file or the new one. A torn last line is ignored.
 */
class PendingJournal {
  private finished = 0;
  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  load(): Signal[] {
    if (!existsSync(this.path)) return [];
    const pending = new Map<string, Signal>();
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      let entry: { add?: Signal; done?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // empty line, or the last line of a write the process did not finish
      }
      if (entry.add) pending.set(entry.add.id, entry.add);
      else if (entry.done) pending.delete(entry.done);
    }
    const signals = [...pending.values()];
    this.compact(signals);
    return signals;
  }

  added(signal: Signal) {
    appendFileSync(this.path, JSON.stringify({ add: signal }) + '\n');
  }

  done(ids: readonly string[], live: () => Signal[]) {
    appendFileSync(this.path, ids.map((id) => JSON.stringify({ done: id }) + '\n').join(''));
    this.finished += ids.length;
    if (this.finished >= 1000) this.compact(live());
  }

  private compact(signals: Signal[]) {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, signals.map((signal) => JSON.stringify({ add: signal }) + '\n').join(''));
    renameSync(tmp, this.path);
    this.finished = 0;
  }
}

/** A rejection retrying cannot fix (bad request, auth); 408 and 429 are worth retrying. */
const permanent = (error: unknown) => error instanceof GatewayError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;

/**
 * Posts signals to the gateway in the background: `enqueue` returns at once so the scan loop is
 * never blocked; what queued up meanwhile goes in one batch request (up to MAX_SIGNAL_BATCH);
 * failures retry with exponential backoff, and a batch the gateway refuses is posted again one
 * signal at a time, so only the bad one is given up. The gateway stores a signal once per id,
 * so a retry after a lost response is harmless (409 counts as delivered). With `pendingFile` the
 * queue survives a restart: signals not yet delivered are posted again at the next start.
 */
export class SignalPoster {
  private readonly queue: { signal: Signal; attempts: number }[] = [];
  private readonly queued = new Set<string>();
  /** Signals `take` handed out, until `carried` says what became of them. */
  private readonly carrying = new Map<string, Signal>();
  private running = false;
  /** How many signals to post one at a time (after a refused batch). */
  private singly = 0;
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly journal: PendingJournal | undefined;
  delivered = 0;
  dropped = 0;
  /** Signals found in the pending file at start and queued again. */
  readonly restored: number;

  constructor(
    private readonly client: GatewayClient,
    private readonly log: Logger,
    private readonly options: PosterOptions,
  ) {
    this.journal = options.pendingFile ? new PendingJournal(options.pendingFile) : undefined;
    const saved = this.journal?.load() ?? [];
    this.restored = saved.length;
    if (saved.length) log.info({ signals: saved.length, file: options.pendingFile }, 'posting signals left unsent by the previous run');
    for (const signal of saved) this.push(signal);
    if (saved.length) void this.drain();
  }

  enqueue(signal: Signal): void {
    if (this.stopped || this.queued.has(signal.id)) return;
    this.journal?.added(signal);
    this.push(signal);
    // After the current task: the signals a step's bars fire together go in one batch.
    queueMicrotask(() => void this.drain());
  }

  private push(signal: Signal) {
    this.queued.add(signal.id);
    this.queue.push({ signal, attempts: 0 });
  }

  /**
   * Hands the queued signals to another way of delivery (a lockstep scanner's acknowledgement
   * over the socket carries its step's signals): none while a post is under way, since its batch
   * is the head of the queue. They stay in the journal until `carried` reports their fate.
   */
  take(): Signal[] {
    if (this.running || this.stopped || this.queue.length === 0) return [];
    const signals = this.queue.splice(0, MAX_SIGNAL_BATCH).map((item) => item.signal);
    for (const signal of signals) this.carrying.set(signal.id, signal);
    return signals;
  }

  /** What became of signals `take` handed out: stored by the gateway, or back to the queue to be posted. */
  carried(signals: readonly Signal[], stored: boolean): void {
    const mine = signals.filter((signal) => this.carrying.delete(signal.id));
    if (mine.length === 0) return;
    if (!stored) {
      // Appended: a post under way is the head of the queue (finish takes it from there).
      this.queue.push(...mine.map((signal) => ({ signal, attempts: 0 })));
      void this.drain();
      return;
    }
    for (const signal of mine) this.queued.delete(signal.id);
    this.delivered += mine.length;
    this.journal?.done(
      mine.map((signal) => signal.id),
      () => this.live(),
    );
  }

  /** Every signal not yet delivered or given up: the journal's content. */
  private live(): Signal[] {
    return [...this.carrying.values(), ...this.queue.map((item) => item.signal)];
  }

  /** Signals not yet delivered or given up, queued or carried. */
  get pending(): number {
    return this.queue.length + this.carrying.size;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wakeIdle();
  }

  /** Resolves once every signal enqueued so far was delivered or given up (a lockstep scanner acks a step only then). */
  settled(): Promise<void> {
    if (this.queue.length === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle() {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((wake) => wake());
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length && !this.stopped) {
      const size = this.singly > 0 ? 1 : Math.min(this.queue.length, MAX_SIGNAL_BATCH);
      const batch = this.queue.slice(0, size);
      for (const item of batch) item.attempts++;
      const attempts = batch[0].attempts;
      try {
        if (size === 1) await this.client.postSignal(batch[0].signal);
        else await this.client.postSignals(batch.map((item) => item.signal));
        this.finish(size, 'delivered');
      } catch (error) {
        if (size === 1 && error instanceof GatewayError && error.status === 409) {
          this.finish(1, 'delivered');
          continue;
        }
        if (size > 1 && permanent(error)) {
          for (const item of batch) item.attempts--;
          this.singly = size;
          continue;
        }
        if (permanent(error) || attempts >= this.options.maxAttempts) {
          this.log.error({ signals: batch.map((item) => item.signal.id), attempts, err: (error as Error).message }, 'giving up posting signals');
          this.finish(size, 'dropped');
          continue;
        }
        const delay = backoffDelay(attempts, this.options.backoffMs, this.options.maxBackoffMs ?? 30_000);
        this.log.warn({ signals: size, first: batch[0].signal.id, attempt: attempts, retryInMs: delay, err: (error as Error).message }, 'signal post failed, retrying');
        await new Promise<void>((resolve) => (this.timer = setTimeout(resolve, delay)));
      }
    }
    this.running = false;
    this.wakeIdle();
  }

  private finish(count: number, outcome: 'delivered' | 'dropped') {
    const done = this.queue.splice(0, count).map((item) => item.signal.id);
    for (const id of done) this.queued.delete(id);
    this[outcome] += count;
    if (this.singly > 0) this.singly -= count;
    this.journal?.done(done, () => this.live());
  }
}
