import { escapeControlCharacters, terminalStyle, type TerminalStyle } from '@packrun/core';

type Colour = 'green' | 'red' | 'yellow' | 'dim';

/** A table cell: its text, and the colour it gets on a terminal that wants colour. */
export interface Cell {
  text: string;
  colour?: Colour;
}

/**
 * What a status means to the reader: done well green, ended badly red, under way yellow, stopped
 * or turned off dim. Execution, sensor, rule-enforcement and trigger-instance statuses share it.
 */
const statusColours: Record<string, Colour> = {
  succeeded: 'green',
  processed: 'green',
  enabled: 'green',
  failed: 'red',
  timeout: 'red',
  abandoned: 'red',
  failing: 'red',
  processing_failed: 'red',
  requested: 'yellow',
  scheduled: 'yellow',
  delayed: 'yellow',
  running: 'yellow',
  pending: 'yellow',
  pausing: 'yellow',
  paused: 'yellow',
  resuming: 'yellow',
  canceling: 'yellow',
  starting: 'yellow',
  processing: 'yellow',
  backing_off: 'yellow',
  stopping: 'yellow',
  canceled: 'dim',
  stopped: 'dim',
  disabled: 'dim',
};

export function statusCell(status: string): Cell {
  const colour = statusColours[status];
  return colour === undefined ? { text: status } : { text: status, colour };
}

/**
 * A cell's text as one terminal line: control characters (an ESC in a pack's description, a
 * newline in a payload) shown as escapes, so a cell can neither drive the terminal nor break the row.
 */
function cellText(text: string): string {
  return escapeControlCharacters(text).replaceAll('\t', '\\t').replaceAll('\n', '\\n');
}

/**
 * Rows in columns as wide as their widest cell (ids are never cut), two spaces apart, the last
 * column unpadded; the header, when given, in bold on a terminal. Colour goes on after the padding,
 * so escape sequences never count toward a width.
 */
export function renderTable(header: string[] | undefined, rows: Array<Array<string | Cell>>, style: TerminalStyle = terminalStyle(process.stdout)): string {
  const cells: Cell[][] = [
    ...(header ? [header.map((text) => ({ text: cellText(text) }))] : []),
    ...rows.map((row) => row.map((cell) => (typeof cell === 'string' ? { text: cellText(cell) } : { ...cell, text: cellText(cell.text) }))),
  ];
  const columns = Math.max(0, ...cells.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...cells.map((row) => row[column]?.text.length ?? 0)));
  return cells
    .map((row, index) => {
      const line = row.map((cell, column) => {
        const padded = column === row.length - 1 ? cell.text : cell.text.padEnd(widths[column]!);
        if (header && index === 0) return style.bold(padded);
        return cell.colour === undefined ? padded : style[cell.colour](padded);
      });
      return line.join('  ').trimEnd();
    })
    .join('\n');
}

/**
 * A list command's human output on stdout: the table under its header, or `empty` (a sentence such
 * as "no executions") when there are no rows, so an empty answer is never silence.
 */
export function printList(header: string[], rows: Array<Array<string | Cell>>, empty: string): void {
  process.stdout.write(`${rows.length === 0 ? empty : renderTable(header, rows)}\n`);
}
