// Platform tier: `npx nx g @tradeyard/nx-plugin:strategy` in a scratch clone of HEAD (sharing this
// checkout's node_modules) writes a strategy file and its spec into strategies/, a project of its
// own; the spec (a backtest on SPX through the portfolio backtester, the look-ahead and warm-up
// checks) passes, lint and typecheck pass, TypeScript references stay in sync, and the file runs
// from the command line a user types (`nx run trading-agent:backtest ... --check=lookahead`). A
// second strategy joins the same project; bad names and folders are refused saying why.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { scratchClone } from './scratch-clone.mjs';

const { dir: clone, nx, failing, create, remove } = scratchClone('tradeyard-strategy-generator-', { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' });

before(() => {
  create();
  nx('g', '@tradeyard/nx-plugin:strategy', 'mean-revert', '--no-interactive');
});

after(remove);

test('writes the strategy and its spec into strategies/, a project of its own named user-strategies', () => {
  for (const file of ['mean-revert.ts', 'mean-revert.spec.ts', 'project.json', 'jest.config.js', 'tsconfig.json']) assert.ok(existsSync(join(clone, 'strategies', file)), `no strategies/${file}`);
  const source = readFileSync(join(clone, 'strategies/mean-revert.ts'), 'utf8');
  assert.match(source, /import \{ defineStrategy, p \} from '@tradeyard\/strategy';/);
  assert.match(source, /name: 'mean-revert',/);
  const project = JSON.parse(nx('show', 'project', 'user-strategies', '--json'));
  assert.deepEqual(project.tags, ['scope:agent', 'type:domain']);
  for (const target of ['test', 'lint', 'typecheck']) assert.ok(project.targets[target], `no ${target} target`);
});

test('its spec passes (a backtest on SPX, the look-ahead and warm-up checks), and it lints and typechecks', () => {
  const output = nx('run-many', '-t', 'test', 'lint', 'typecheck', '-p', 'user-strategies', '--parallel=1', '--outputStyle=static', '--skip-nx-cache');
  assert.match(output, /decides only on the past, and its warm-up is enough/);
  assert.match(output, /Tests: +3 passed, 3 total/);
  nx('sync:check');
});

test('the file runs from the command line: the look-ahead check finds nothing', () => {
  const output = nx('run', 'trading-agent:backtest', '--strategy=strategies/mean-revert.ts', '--data=sp500', '--check=lookahead', '--outputStyle=static');
  assert.match(output, /lookahead check of mean-revert \{"period":50\} on SPX/);
  assert.match(output, /no look-ahead found/);
});

test('a second strategy joins the same project; bad names, existing files and folders of projects without Jest are refused', () => {
  nx('g', '@tradeyard/nx-plugin:strategy', 'trend-follow', '--no-interactive');
  assert.ok(existsSync(join(clone, 'strategies/trend-follow.spec.ts')));
  assert.equal(JSON.parse(readFileSync(join(clone, 'tsconfig.json'), 'utf8')).references.filter((r) => r.path === './strategies').length, 1);
  assert.match(failing('npx', ['nx', 'g', '@tradeyard/nx-plugin:strategy', 'Mean_Revert', '--no-interactive', '--dry-run']), /"Mean_Revert" is not kebab-case/);
  assert.match(failing('npx', ['nx', 'g', '@tradeyard/nx-plugin:strategy', 'mean-revert', '--no-interactive', '--dry-run']), /strategies\/mean-revert.ts already exists/);
  assert.match(failing('npx', ['nx', 'g', '@tradeyard/nx-plugin:strategy', 'dip', '--directory=examples/strategies', '--no-interactive', '--dry-run']), /examples\/strategies is in project strategy-examples, which has no jest.config.js/);
});
