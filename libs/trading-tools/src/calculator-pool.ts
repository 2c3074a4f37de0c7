import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { calculate, CalculationError, type Calculation } from './calculator';

export interface CalculatorPoolOptions {
  /**
   * The script each worker thread starts: it must call serveCalculatorWorker() when
   * isCalculatorWorker() is true. In the app bundle that is the bundle itself (__filename).
   */
  workerFile: string;
  /** Node options for the workers, e.g. ['--import', 'tsx'] to run TypeScript sources. */
  execArgv?: string[];
  /** Worker threads evaluating at once (default 2). */
  workers?: number;
  /** Wall time one evaluation may take before its worker is terminated (default 1000 ms). */
  timeoutMs?: number;
  /** Heap of one worker (V8 old generation, MB, default 64): an allocation beyond it ends that worker only. */
  maxHeapMb?: number;
  /** Evaluations waiting for a worker before new ones are refused (default 64). */
  maxQueue?: number;
  /** How long an evaluation may wait for a free worker (default 10 x timeoutMs). */
  maxWaitMs?: number;
}

const WORKER_KIND = 'tradeyard-calculator';

/** True inside a worker thread started by CalculatorPool. */
export const isCalculatorWorker = () => !isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND;

type Reply = { ok: true; calculation: Calculation } | { ok: false; message: string } | 'ready';

/** The worker side: evaluates each expression the pool sends and posts the outcome back. */
export function serveCalculatorWorker(): void {
  const port = parentPort;
  if (!isCalculatorWorker() || !port) throw new Error('serveCalculatorWorker must run inside a worker thread started by CalculatorPool');
  port.on('message', (expression: string) => {
    let reply: Reply;
    try {
      reply = { ok: true, calculation: calculate(expression) };
    } catch (err) {
      reply = { ok: false, message: err instanceof CalculationError ? err.message : `cannot evaluate expression: ${(err as Error).message}` };
    }
    port.postMessage(reply);
  });
  port.postMessage('ready');
}

interface Job {
  expression: string;
  /** Bounds the wait for a free worker. */
  waiting?: NodeJS.Timeout;
  resolve: (calculation: Calculation) => void;
  reject: (err: CalculationError) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded and listens; the deadline of a job starts only then. */
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/**
 * Evaluates expressions on worker threads, each with a heap cap and a deadline. A worker that
 * runs past its deadline or out of memory is terminated and replaced, and only its own caller
 * gets the error; the others keep their workers. Hand-written over a pool library because the
 * point is exactly this: terminate-and-replace per job, with the limit named in the error.
 */
export class CalculatorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;
  private readonly maxQueue: number;
  private readonly maxWaitMs: number;
  private closed = false;

  constructor(private readonly options: CalculatorPoolOptions) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxHeapMb = options.maxHeapMb ?? 64;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxWaitMs = options.maxWaitMs ?? 10 * this.timeoutMs;
    for (let i = 0; i < (options.workers ?? 2); i++) this.slots.push({ worker: this.spawn(), ready: false });
  }

  /** Resolves with the calculation, or rejects with a CalculationError naming the rule or limit broken. */
  calculate(expression: string): Promise<Calculation> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new CalculationError('calculator is shut down'));
      if (this.queue.length >= this.maxQueue) {
        return reject(new CalculationError(`calculator busy: ${this.maxQueue} expressions are already waiting; retry later`));
      }
      const job: Job = { expression, resolve, reject };
      job.waiting = setTimeout(() => {
        const index = this.queue.indexOf(job);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(new CalculationError(`calculator busy: no worker was free within ${this.maxWaitMs} ms; retry later`));
      }, this.maxWaitMs);
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.waiting);
      job.reject(new CalculationError('calculator is shut down'));
    }
    await Promise.all(
      this.slots.map((slot) => {
        clearTimeout(slot.timer);
        slot.job?.reject(new CalculationError('calculator is shut down'));
        slot.job = undefined;
        return slot.worker.terminate();
      }),
    );
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.workerFile, {
      workerData: { kind: WORKER_KIND },
      execArgv: this.options.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: Math.max(4, this.maxHeapMb / 8) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (!slot) return;
      if (reply === 'ready') {
        slot.ready = true;
        return this.dispatch();
      }
      const { job } = slot;
      if (!job) return;
      this.release(slot);
      if (reply.ok) job.resolve(reply.calculation);
      else job.reject(new CalculationError(reply.message));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const why =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `memory limit: the evaluation needed more than the ${this.maxHeapMb} MB heap it may use`
          : `calculator worker failed: ${err.message}`;
      this.replace(worker, why);
    });
    worker.on('exit', () => this.replace(worker, 'calculator worker stopped'));
    return worker;
  }

  /** Fails the worker's job (if any) with `why` and puts a fresh worker in its place. */
  private replace(worker: Worker, why: string): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    const { job, ready } = slot;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.ready = false;
    void worker.terminate();
    job?.reject(new CalculationError(why));
    if (this.closed) return;
    if (ready) {
      slot.worker = this.spawn();
      return;
    }
    // A worker that failed to start (a bad file, a heap too small to load it) fails what waits,
    // saying why, and is retried after a pause rather than in a loop.
    for (const waiting of this.queue.splice(0)) {
      clearTimeout(waiting.waiting);
      waiting.reject(new CalculationError(`calculator worker failed to start: ${why}`));
    }
    setTimeout(() => !this.closed && slot.worker === worker && (slot.worker = this.spawn()), 1000).unref();
  }

  private release(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = undefined;
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || !slot.ready) continue;
      const job = this.queue.shift();
      if (!job) return;
      clearTimeout(job.waiting);
      slot.job = job;
      slot.timer = setTimeout(() => this.replace(slot.worker, `time limit: the evaluation ran longer than ${this.timeoutMs} ms`), this.timeoutMs);
      slot.worker.postMessage(job.expression);
    }
  }
}
