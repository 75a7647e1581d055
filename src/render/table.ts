/*
 * The one wrapper around cli-table3.  Tables are borderless with a bold
 * header: logs get wide, and box-drawing eats the columns paths need.
 */
import Table from 'cli-table3';
import type { Palette } from './colour.js';

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** A column of numbers: aligned right. */
export function numberColumn(header: string): Column {
  return { header, align: 'right' };
}

/** A cell spanning the whole row, e.g. a lost-events marker inside a log. */
export interface WideRow {
  wide: string;
}

export type Row = string[] | WideRow;

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

/** Renders rows under columns; returns the text with a trailing newline. */
export function renderTable(columns: readonly Column[], rows: readonly Row[], colour: Palette): string {
  const table = new Table({
    head: columns.map((c) => colour.bold(c.header)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    chars: BORDERLESS,
    // cli-table3 colours heads red and borders grey by default; colour is ours to decide.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    wordWrap: false,
  });
  for (const row of rows) {
    if (Array.isArray(row)) {
      table.push(row);
    } else {
      table.push([{ content: row.wide, colSpan: columns.length, hAlign: 'left' }]);
    }
  }
  // Trailing pad spaces from the last column are noise in pipes and diffs.
  return table.toString().split('\n').map((line) => line.trimEnd()).join('\n') + '\n';
}
