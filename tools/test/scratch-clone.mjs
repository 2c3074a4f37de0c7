// A scratch clone of HEAD for the platform tests that generate code with Nx: it shares this
// checkout's node_modules (a symlink), and runs commands in it with the given environment.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** An empty folder for the clone (`create` clones into it, `remove` deletes it), and runners of commands in it. */
export function scratchClone(prefix, env) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = (command, args, options = {}) => execFileSync(command, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
  return {
    dir,
    run,
    nx: (...args) => run('npx', ['nx', ...args]),
    /** Runs a command that should fail; returns its output. */
    failing(command, args) {
      const result = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8' });
      assert.notEqual(result.status, 0, `${command} ${args.join(' ')} succeeded`);
      return result.stdout + result.stderr;
    },
    create() {
      execFileSync('git', ['clone', '--quiet', root, dir]);
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
