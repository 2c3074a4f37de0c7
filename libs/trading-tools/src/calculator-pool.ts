import { isPoolWorker, serveWorkerTasks, WorkerPool, WorkerTaskError } from '@tradeyard/runtime-util';
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
export const isCalculatorWorker = () => isPoolWorker(WORKER_KIND);

/** The worker side: evaluates each expression the pool sends and posts the outcome back. */
export function serveCalculatorWorker(): void {
  if (!isCalculatorWorker()) throw new Error('serveCalculatorWorker must run inside a worker thread started by CalculatorPool');
  serveWorkerTasks<string, Calculation>(WORKER_KIND, (expression) => {
    try {
      return calculate(expression);
    } catch (err) {
      throw err instanceof CalculationError ? err : new CalculationError(`cannot evaluate expression: ${(err as Error).message}`);
    }
  });
}

/**
 * Evaluates expressions on worker threads (the runtime-util WorkerPool), each with a heap cap and
 * a deadline: a runaway or over-allocating evaluation ends its own worker and fails its own caller.
 */
export class CalculatorPool {
  private readonly pool: WorkerPool<string, Calculation>;

  constructor(options: CalculatorPoolOptions) {
    this.pool = new WorkerPool({ ...options, kind: WORKER_KIND, names: { pool: 'calculator', task: 'evaluation', waiting: 'expressions' } });
  }

  /** Resolves with the calculation, or rejects with a CalculationError naming the rule or limit broken. */
  calculate(expression: string): Promise<Calculation> {
    return this.pool.run(expression).catch((err: WorkerTaskError) => {
      throw new CalculationError(err.message);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
