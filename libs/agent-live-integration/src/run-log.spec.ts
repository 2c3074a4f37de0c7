import { readRunEvents, RunLog } from '@tradeyard/agent-live';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'run-log-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** How many of this process's open file descriptors point at the file (Linux /proc). */
const openDescriptors = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

describe('RunLog', () => {
  it('keeps its file open from the first write to flush, once, and closes it on flush', async () => {
    const log = new RunLog(dir, 'run-3');
    const file = join(dir, 'run-3.jsonl');
    for (let i = 0; i < 20; i++) {
      log.record('cycle', { cycle: i });
      // Each event goes out in a write of its own: waits until it is in the file.
      while (!existsSync(file) || readFileSync(file, 'utf8').split('\n').length < i + 2) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(openDescriptors(file)).toBe(1);
    }
    await log.flush();
    expect(openDescriptors(file)).toBe(0);
    log.record('cycle', { cycle: 20 });
    await log.flush();
    expect((await readRunEvents(dir, 'run-3'))!.map((e) => e.cycle)).toEqual([...Array(21).keys()]);
  });

  it('writes every event recorded, one a line, in the order recorded, also while earlier writes are under way', async () => {
    const log = new RunLog(dir, 'run-1');
    for (let i = 0; i < 500; i++) {
      log.record('cycle', { cycle: i });
      if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    expect((await readRunEvents(dir, 'run-1'))!.map((e) => e.cycle)).toEqual([...Array(500).keys()]);
    expect(readFileSync(join(dir, 'run-1.jsonl'), 'utf8').split('\n').length).toBe(501);
  });

  it('reports a write failure once, on flush, and writes again afterwards', async () => {
    const log = new RunLog(dir, 'run-2');
    // A directory where the log file belongs: appending to it fails.
    const file = join(dir, 'run-2.jsonl');
    mkdirSync(file);
    log.record('cycle', { cycle: 1 });
    await expect(log.flush()).rejects.toThrow(/EISDIR/);
    rmSync(file, { recursive: true });
    log.record('cycle', { cycle: 2 });
    await expect(log.flush()).resolves.toBeUndefined();
    expect((await readRunEvents(dir, 'run-2'))!.map((e) => e.cycle)).toEqual([2]);
  });
});
