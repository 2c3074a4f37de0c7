import { spawn } from 'node:child_process';
import { join } from 'node:path';

function runFixture(): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '__fixtures__/unhandled-rejection.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.resume();
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout })));
}

describe('exitOnUnhandledErrors', () => {
  it('logs an unhandled rejection as one fatal JSON line and exits 1', async () => {
    const { code, stdout } = await runFixture();
    expect(code).toBe(1);
    expect(stdout).not.toContain('STILL RUNNING');
    const fatal = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: string; service: string; kind: string; err: { message: string } });
    expect(fatal).toEqual([expect.objectContaining({ level: 'fatal', service: 'fixture', kind: 'unhandled promise rejection', err: expect.objectContaining({ message: 'boom from rejection' }) })]);
  }, 20_000);
});
