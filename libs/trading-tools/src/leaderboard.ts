import { formatArenaValue, type ArenaBoard } from '@tradeyard/gateway-contract';

/**
 * An arena board as text a model or a person reads: the run, the ranking with every column's
 * statistic (benchmark marked, not ranked), and each comparison's verdict on luck, once.
 */
export function leaderboardText(board: ArenaBoard): string {
  const label = (key: string) => board.columns.find((c) => c.key === key)?.label ?? key;
  const ranked = board.columns.find((c) => c.key === board.rankedBy);
  const progress = `${board.stepsDone}${board.stepsTotal === null ? '' : `/${board.stepsTotal}`} steps`;
  const lines = [
    `Arena run ${board.runId} "${board.name}": ${board.status}, ${board.mode}, ${board.from} to ${board.to}${board.currentDate ? ` (as of ${board.currentDate}, ${progress})` : ` (${progress})`}`,
    `Symbols: ${board.symbols.slice(0, 20).join(', ')}${board.symbols.length > 20 ? ` and ${board.symbols.length - 20} more` : ''}; starting cash ${formatArenaValue(board.startingCash, 'money')} each`,
    `Ranked by ${label(board.rankedBy)}${ranked ? ` (${ranked.better} is better)` : ''}:`,
  ];
  const rows = [...board.rows].sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER));
  for (const row of rows) {
    const place = row.rank === null ? 'benchmark, not ranked' : `#${row.rank}`;
    const statistics = board.columns.map((c) => `${c.label} ${formatArenaValue(row.statistics[c.key], c.format)}`).join(', ');
    lines.push(`- ${place}: ${row.agent} (${row.kind}): ${statistics}`);
  }
  if (board.comparisons.length) {
    // The verdict names the pair and its rounded numbers (the raw ones are in the structured board): one line each, the method once.
    const methods = [...new Set(board.comparisons.map((c) => c.method))];
    lines.push(`Is each difference more than luck? By ${methods.join('; ')}:`);
    for (const c of board.comparisons) lines.push(`- ${c.verdict}`);
  }
  if (board.error) lines.push(`Note: ${board.error}`);
  return lines.join('\n');
}
