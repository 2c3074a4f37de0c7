import { escapeHtml } from './svg';

/**
 * An HTML table: the header cells are escaped here, the body cells are HTML already (their
 * text escaped by the caller, so a cell may carry markup such as a coloured span).
 */
export const htmlTable = (head: string[], rows: string[][]) =>
  `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</table>`;

/** A plain-text table for a terminal: columns padded to their widest cell, the first left-aligned, the others right-aligned. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return rows.map(line).join('\n');
}
