import type { LookaheadReport } from './lookahead';
import type { Finding } from './run';
import type { WarmupReport } from './warmup';

/** Findings printed at most; the JSON report has them all. */
const SHOWN = 50;

/** One finding in one line: date, symbol, what, and both runs' answers. */
export const findingLine = (f: Finding): string =>
  `  ${f.date} ${f.symbol} ${f.what}: ${f.reference} with the long run, ${f.other} with ${f.against}${f.differing ? ` (indicators that differ there: ${f.differing.join(', ')})` : ''}`;

function findingLines(findings: readonly Finding[]): string {
  const shown = findings.slice(0, SHOWN).map(findingLine);
  if (findings.length > SHOWN) shown.push(`  ... and ${findings.length - SHOWN} more (--out=FILE.json has them all)`);
  return shown.join('\n') + '\n';
}

const run = (r: LookaheadReport | WarmupReport) => `${r.strategy} ${JSON.stringify(r.params)} on ${r.symbols.length === 1 ? r.symbols[0] : `${r.symbols.length} symbols`}, ${r.from}..${r.to}`;

/** The look-ahead check's report for a terminal. */
export function lookaheadText(r: LookaheadReport): string {
  const head =
    `lookahead check of ${run(r)}: ${r.cuts.length} reruns on the data cut at ${r.cuts[0] ?? '-'}..${r.cuts.at(-1) ?? '-'} ` +
    `(evenly spaced from the first decision, and each of the last bars), ${r.compared} decisions compared\n`;
  if (r.findings.length === 0) return `${head}no decision or indicator value changed when later bars were removed: no look-ahead found\n`;
  return `${head}LOOK-AHEAD: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (the first change of each symbol per cut; "long run" is the run on all the data):\n${findingLines(r.findings)}`;
}

/** The warm-up check's report for a terminal. */
export function warmupText(r: WarmupReport): string {
  const indicators = r.indicators.map((i) => `  ${i.name} = ${i.key}: first value after ${i.firstValue} bars, agrees with the long history (within ${r.tolerance}) from ${i.agreesFrom} bars on\n`).join('');
  const head =
    `warmup check of ${run(r)}: short histories from ${r.starts.join(', ')}, ${r.compared} decisions compared with the long run's (same portfolio and state)\n` +
    `warm-up: declared ${r.declared} bars, needed ${r.needed}\n${indicators}`;
  if (r.findings.length === 0) return `${head}every decision after the declared warm-up is the long history's: the warm-up is enough\n`;
  return `${head}WARM-UP TOO SHORT: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (the first of each symbol per start; "long run" has all the history):\n${findingLines(r.findings)}`;
}
