import { isPoolWorker, serveWorkerTasks, WorkerPool, type WorkerPoolOptions, type WorkerTaskError } from '@tradeyard/runtime-util';
import { calculate, CalculationError, type Calculation } from './calculator';

/**
 * The pool's bounds (workers default 2, timeoutMs 1000, maxHeapMb 64, maxQueue 64, maxWaitMs
 * 10 x timeoutMs). Its workerFile must call serveCalculatorWorker() when isCalculatorWorker() is
 * true; in the app bundle that is the bundle itself (__filename).
 */
export type CalculatorPoolOptions = Omit<WorkerPoolOptions, 'kind' | 'names'>;

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
