// A node:test reporter that writes one line per failed test (file:line, name, first line of the
// error), so `npm test`'s summary names what failed: a CI log is often read from its end only.
export default async function* failures(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    // A suite fails when a test in it does; its own line would repeat the test's.
    if (details?.type === 'suite') continue;
    const cause = details?.error?.cause ?? details?.error;
    const message = String(cause?.message ?? cause ?? '').split('\n')[0].slice(0, 300);
    yield `${file ? `${file.replace(`${process.cwd()}/`, '')}:${line} ` : ''}${name}: ${message}\n`;
  }
}
