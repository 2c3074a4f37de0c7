// A Jest reporter that appends one line per failed test (file, name, first line of the error) to
// $TRADEYARD_FAILURES_FILE, so `npm test`'s summary names what failed (tools/test/run-tests.mjs).
// Without the variable it does nothing: a developer's jest run prints as usual.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const firstLine = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n')[0].slice(0, 300);

export default class FailuresReporter {
  onTestResult(_test, result) {
    const file = process.env.TRADEYARD_FAILURES_FILE;
    if (!file) return;
    const where = relative(root, result.testFilePath);
    const lines = result.testResults.filter((t) => t.status === 'failed').map((t) => `${where} ${t.fullName}: ${firstLine(t.failureMessages[0])}`);
    if (result.testExecError) lines.push(`${where}: ${firstLine(result.testExecError.message)}`);
    if (lines.length > 0) appendFileSync(file, `${lines.join('\n')}\n`);
  }
}
