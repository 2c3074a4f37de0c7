import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export type RunEventType = 'run_start' | 'cycle' | 'decision' | 'order' | 'fill' | 'error' | 'llm_transcript' | 'run_end';
export interface RunEvent<T extends string = RunEventType> {
  type: T;
  time: string;
  [key: string]: unknown;
}

export const RUN_ID_PATTERN = /^[0-9A-Za-z-]{1,80}$/;

/**
 * Append-only JSONL log of one run: DATA_DIR/agent-runs/<runId>.jsonl (the arena's OUT/run.jsonl), one event a line.
 * Events recorded while a write is under way go out together in the next one: an arena records
 * several events per step. The file stays open from the first write to the next flush(): opening
 * it per write cost an arena over the whole history more CPU than its run log's JSON.
 */
export class RunLog<T extends string = RunEventType> {
  private queue: Promise<void>;
  private pending: string[] = [];
  private failure: unknown;
  private file?: FileHandle;
  constructor(
    readonly dir: string,
    readonly runId: string,
  ) {
    this.queue = mkdir(dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => void (this.failure ??= err),
    );
  }

  /** Appends in call order; a write failure surfaces on flush(), never as an unhandled rejection. */
  record(type: T, fields: Record<string, unknown> = {}): void {
    this.pending.push(JSON.stringify({ type, time: new Date().toISOString(), ...fields }) + '\n');
    if (this.pending.length === 1) this.queue = this.queue.then(() => this.write());
  }

  private async write() {
    const lines = this.pending.join('');
    this.pending = [];
    try {
      this.file ??= await open(join(this.dir, `${this.runId}.jsonl`), 'a');
      await this.file.appendFile(lines);
    } catch (err) {
      this.failure ??= err;
      await this.closeFile();
    }
  }

  private async closeFile() {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch((err: unknown) => void (this.failure ??= err));
  }

  /** Resolves when every recorded event is written and the file closed; rejects once with a write failure, after which writing resumes. */
  async flush(): Promise<void> {
    this.queue = this.queue.then(() => this.closeFile());
    await this.queue;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
  }
}

export async function readRunEvents<T extends string = RunEventType>(dir: string, runId: string): Promise<RunEvent<T>[] | undefined> {
  if (!RUN_ID_PATTERN.test(runId)) return undefined;
  let text: string;
  try {
    text = await readFile(join(dir, `${runId}.jsonl`), 'utf8');
  } catch {
    return undefined;
  }
  // A line cut by a crash mid-write is skipped rather than failing the whole run.
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as RunEvent<T>] : [];
    } catch {
      return [];
    }
  });
}

export interface RunSummary {
  id: string;
  mode: unknown;
  strategy: unknown;
  symbols: unknown;
  startedAt?: string;
  endedAt?: string;
  counts: Record<string, number>;
}

export async function listRuns(dir: string): Promise<RunSummary[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const runs = await Promise.all(
    files.filter((f) => f.endsWith('.jsonl')).map(async (file) => {
      const id = file.slice(0, -'.jsonl'.length);
      const events = (await readRunEvents(dir, id)) ?? [];
      const start = events.find((e) => e.type === 'run_start');
      const counts: Record<string, number> = {};
      for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
      return { id, mode: start?.mode, strategy: start?.strategy, symbols: start?.symbols, startedAt: start?.time, endedAt: events.findLast((e) => e.type === 'run_end')?.time, counts };
    }),
  );
  return runs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}
