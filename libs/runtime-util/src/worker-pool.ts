import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** How a pool names itself and its work in its errors: "calculator busy", "the evaluation ran longer…". */
export interface WorkerPoolNames {
  /** The pool: 'calculator', 'backtest pool'. */
  pool: string;
  /** One unit of work: 'evaluation', 'job'. */
  task: string;
  /** Several waiting units, as counted: 'expressions', 'jobs'. */
  waiting: string;
}

export interface WorkerPoolOptions {
  /** Tells this pool's workers from other kinds started from the same script. */
  kind: string;
  names: WorkerPoolNames;
  /**
   * The script each worker thread starts: it must call serveWorkerTasks(kind, …) when
   * isPoolWorker(kind) is true. In an app bundle that is the bundle itself (__filename).
   */
  workerFile: string;
  /** Node options for the workers, e.g. ['--import', 'tsx'] to run TypeScript sources. */
  execArgv?: string[];
  /** Worker threads running at once, at most (default 2): each starts when a task first needs it. */
  workers?: number;
  /** Wall time one task may take before its worker is terminated (default 1000 ms). */
  timeoutMs?: number;
  /** Heap of one worker (V8 old generation, MB, default 64): an allocation beyond it ends that worker only. */
  maxHeapMb?: number;
  /** Tasks waiting for a worker before new ones are refused (default 64). */
  maxQueue?: number;
  /** How long a task may wait for a free worker (default 10 x timeoutMs). */
  maxWaitMs?: number;
}

/** Why a task did not produce its output; `reason` says which bound or failure it was. */
export class WorkerTaskError extends Error {
  constructor(
    readonly reason: 'busy' | 'time' | 'memory' | 'worker' | 'closed' | 'task' | 'cancelled',
    message: string,
  ) {
    super(message);
  }
}

export interface TaskCallbacks {
  /** The task left the queue and a worker began it. */
  onStart?: () => void;
  /** Progress the task's handler reported: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Aborting it takes a waiting task off the queue, or ends the worker running it (a fresh one
   * takes its place); either way the task fails with reason 'cancelled'.
   */
  signal?: AbortSignal;
}

type Reply<O> = 'ready' | { progress: [number, number] } | { ok: true; output: O } | { ok: false; message: string };

/** True inside a worker thread started by a WorkerPool of this kind. */
export const isPoolWorker = (kind: string) => !isMainThread && (workerData as { kind?: string } | null)?.kind === kind;

/**
 * The worker side: runs each input the pool sends through `handler` and posts the outcome back.
 * An Error the handler throws fails that task only, with its message.
 */
export function serveWorkerTasks<I, O>(kind: string, handler: (input: I, progress: (done: number, total: number) => void) => O): void {
  const port = parentPort;
  if (!isPoolWorker(kind) || !port) throw new Error(`serveWorkerTasks(${kind}) must run inside a worker thread its WorkerPool started`);
  const progress = (done: number, total: number) => port.postMessage({ progress: [done, total] } satisfies Reply<O>);
  port.on('message', (input: I) => {
    let reply: Reply<O>;
    try {
      reply = { ok: true, output: handler(input, progress) };
    } catch (err) {
      reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  port.postMessage('ready' satisfies Reply<O>);
}

interface Task<I, O> extends TaskCallbacks {
  input: I;
  /** Bounds the wait for a free worker. */
  waiting?: NodeJS.Timeout;
  resolve: (output: O) => void;
  reject: (err: WorkerTaskError) => void;
}

interface Slot<I, O> {
  worker: Worker;
  /** The worker has loaded and listens; the deadline of a task starts only then. */
  ready: boolean;
  task?: Task<I, O>;
  timer?: NodeJS.Timeout;
}

/**
 * Runs tasks on worker threads, each with a heap cap and a deadline. A worker that runs past its
 * deadline or out of memory is terminated and replaced, and only its own caller gets the error;
 * the others keep their workers. Workers start when tasks wait for them, not with the pool: a
 * service that never calculates (or runs no job) loads no worker. Hand-written over a pool library
 * because the point is exactly this: terminate-and-replace per task, with the limit named in the error.
 */
export class WorkerPool<I, O> {
  private readonly slots: Array<Slot<I, O>> = [];
  private readonly queue: Array<Task<I, O>> = [];
  private readonly capacity: number;
  readonly timeoutMs: number;
  readonly maxQueue: number;
  private readonly maxHeapMb: number;
  private readonly maxWaitMs: number;
  private readonly names: WorkerPoolNames;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.names = options.names;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxHeapMb = options.maxHeapMb ?? 64;
    this.maxQueue = options.maxQueue ?? 64;
    this.maxWaitMs = options.maxWaitMs ?? 10 * this.timeoutMs;
    this.capacity = options.workers ?? 2;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Worker threads started or starting. */
  get workersRunning(): number {
    return this.slots.length;
  }

  /** Resolves with the task's output, or rejects with a WorkerTaskError naming the rule or limit broken. */
  run(input: I, callbacks: TaskCallbacks = {}): Promise<O> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.shutDown());
      if (this.queue.length >= this.maxQueue) {
        return reject(new WorkerTaskError('busy', `${this.names.pool} busy: ${this.maxQueue} ${this.names.waiting} are already waiting; retry later`));
      }
      const { signal } = callbacks;
      const cancelled = () => new WorkerTaskError('cancelled', `the ${this.names.task} was cancelled`);
      if (signal?.aborted) return reject(cancelled());
      const onAbort = () => this.cancel(task, cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const settled = () => signal?.removeEventListener('abort', onAbort);
      const task: Task<I, O> = {
        input,
        ...callbacks,
        resolve: (output) => (settled(), resolve(output)),
        reject: (err) => (settled(), reject(err)),
      };
      task.waiting = setTimeout(() => {
        const index = this.queue.indexOf(task);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(new WorkerTaskError('busy', `${this.names.pool} busy: no worker was free within ${this.maxWaitMs} ms; retry later`));
      }, this.maxWaitMs);
      this.queue.push(task);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      clearTimeout(task.waiting);
      task.reject(this.shutDown());
    }
    await Promise.all(
      this.slots.map((slot) => {
        clearTimeout(slot.timer);
        slot.task?.reject(this.shutDown());
        slot.task = undefined;
        return slot.worker.terminate();
      }),
    );
  }

  /** Fails `task` with `why`: off the queue if it waits, else by ending the worker that runs it. */
  private cancel(task: Task<I, O>, why: WorkerTaskError): void {
    const index = this.queue.indexOf(task);
    if (index >= 0) {
      this.queue.splice(index, 1);
      clearTimeout(task.waiting);
      return task.reject(why);
    }
    const slot = this.slots.find((s) => s.task === task);
    if (slot) this.replace(slot.worker, why);
  }

  private shutDown = () => new WorkerTaskError('closed', `${this.names.pool} is shut down`);

  private spawn(): Worker {
    const worker = new Worker(this.options.workerFile, {
      workerData: { kind: this.options.kind },
      execArgv: this.options.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: Math.max(4, this.maxHeapMb / 8) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (reply: Reply<O>) => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (!slot) return;
      if (reply === 'ready') {
        slot.ready = true;
        return this.dispatch();
      }
      const { task } = slot;
      if (!task) return;
      if ('progress' in reply) return task.onProgress?.(...reply.progress);
      this.release(slot);
      if (reply.ok) task.resolve(reply.output);
      else task.reject(new WorkerTaskError('task', reply.message));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.replace(worker, new WorkerTaskError('memory', `memory limit: the ${this.names.task} needed more than the ${this.maxHeapMb} MB heap it may use`));
      else this.replace(worker, new WorkerTaskError('worker', `${this.names.pool} worker failed: ${err.message}`));
    });
    worker.on('exit', () => this.replace(worker, new WorkerTaskError('worker', `${this.names.pool} worker stopped`)));
    return worker;
  }

  /** Fails the worker's task (if any) with `why` and ends the worker; tasks still waiting get a fresh one. */
  private replace(worker: Worker, why: WorkerTaskError): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    this.slots.splice(this.slots.indexOf(slot), 1);
    clearTimeout(slot.timer);
    void worker.terminate();
    slot.task?.reject(why);
    if (this.closed) return;
    // A worker that failed to start (a bad file, a heap too small to load it) fails what waits,
    // saying why, rather than starting another in a loop; the next task tries again.
    if (!slot.ready)
      for (const waiting of this.queue.splice(0)) {
        clearTimeout(waiting.waiting);
        waiting.reject(new WorkerTaskError('worker', `${this.names.pool} worker failed to start: ${why.message}`));
      }
    this.dispatch();
  }

  private release(slot: Slot<I, O>): void {
    clearTimeout(slot.timer);
    slot.task = undefined;
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task || !slot.ready) continue;
      const task = this.queue.shift();
      if (!task) break;
      clearTimeout(task.waiting);
      slot.task = task;
      slot.timer = setTimeout(
        () => this.replace(slot.worker, new WorkerTaskError('time', `time limit: the ${this.names.task} ran longer than ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      task.onStart?.();
      slot.worker.postMessage(task.input);
    }
    // Start workers for the tasks that no ready or starting worker will take, up to the pool's size.
    if (this.closed) return;
    const starting = this.slots.filter((slot) => !slot.ready).length;
    for (let n = Math.min(this.queue.length - starting, this.capacity - this.slots.length); n > 0; n--) this.slots.push({ worker: this.spawn(), ready: false });
  }
}
