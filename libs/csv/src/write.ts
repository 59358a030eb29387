import type { Delimiter } from './types';

// OWASP "CSV injection": spreadsheets evaluate cells starting with these as formulas.
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);
const NEEDS_QUOTES = /["\r\n]/;

/** Prefixes a cell that a spreadsheet would read as a formula with an apostrophe. */
export function neutralizeFormula(cell: string): string {
  return FORMULA_TRIGGERS.has(cell.charAt(0)) ? `'${cell}` : cell;
}

/** Undoes neutralizeFormula: `'x` back to `x` exactly when neutralizing x gives `'x` (a JSON answer is no spreadsheet). */
export function withoutFormulaGuard(cell: string): string {
  return cell.startsWith("'") && neutralizeFormula(cell.slice(1)) === cell ? cell.slice(1) : cell;
}

/**
 * One output record: cells neutralized, quoted (RFC 4180, quotes doubled) when they contain the delimiter,
 * a quote, CR or LF, joined by the delimiter and terminated by LF.
 */
export function formatCsvRecord(cells: readonly string[], delimiter: Delimiter = ','): string {
  return formatRecord(cells, delimiter, true);
}

/**
 * One record as RFC 4180 and nothing else, cells exactly as given: for files our own parser reads back (a job's input),
 * where the spreadsheet guard would change a value (`+1 415...` would gain an apostrophe).
 */
export function formatPlainCsvRecord(cells: readonly string[], delimiter: Delimiter = ','): string {
  return formatRecord(cells, delimiter, false);
}

// The merger writes every result row through here: one pass, no intermediate array.
function formatRecord(cells: readonly string[], delimiter: Delimiter, guardFormulas: boolean): string {
  // A record of one empty cell would be a blank line, which readers (this package included) skip.
  if (cells.length === 1 && cells[0] === '') return '""\n';
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += delimiter;
    const cell = cells[i] ?? '';
    line += quoteIfNeeded(guardFormulas ? neutralizeFormula(cell) : cell, delimiter);
  }
  return `${line}\n`;
}

function quoteIfNeeded(cell: string, delimiter: Delimiter): string {
  return cell.includes(delimiter) || NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
