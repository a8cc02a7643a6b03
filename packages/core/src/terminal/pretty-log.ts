import { escapeControlCharacters, type TerminalStyle } from './terminal-style.ts';

/** pino's numeric levels and the names people read. */
const levelNames = new Map<number, string>([
  [10, 'TRACE'],
  [20, 'DEBUG'],
  [30, 'INFO'],
  [40, 'WARN'],
  [50, 'ERROR'],
  [60, 'FATAL'],
]);

/** Fields every line carries that the pretty form shows in its own place or leaves out (pid and host are the same on every line). */
const placedFields = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'component', 'err', 'v']);

interface LoggedError {
  type?: string;
  message?: string;
  code?: string;
  stack?: string;
}

function clockTime(epochMs: unknown): string {
  const date = typeof epochMs === 'number' ? new Date(epochMs) : new Date();
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function levelLabel(level: unknown, style: TerminalStyle): string {
  const name = (typeof level === 'number' ? levelNames.get(level) : undefined) ?? String(level).toUpperCase();
  const padded = name.padEnd(5);
  if (typeof level !== 'number') return padded;
  if (level >= 50) return style.red(style.bold(padded));
  if (level >= 40) return style.yellow(padded);
  if (level >= 30) return style.green(padded);
  return style.dim(padded);
}

function fieldValue(value: unknown): string {
  const text = typeof value === 'string' ? (/^[^\s="]+$/.test(value) ? value : JSON.stringify(value)) : JSON.stringify(value) ?? String(value);
  return escapeControlCharacters(text);
}

function errorLines(error: LoggedError, level: number, style: TerminalStyle): string[] {
  const head = `${error.type ?? 'Error'}${error.code ? ` ${error.code}` : ''}: ${error.message ?? ''}`;
  const lines = [`    ${style.red(escapeControlCharacters(head))}`];
  // The stack matters for the runtime's own faults; a warning about bad input does not need one.
  if (level >= 50 && error.stack) {
    for (const frame of error.stack.split('\n').slice(1)) lines.push(style.dim(`    ${escapeControlCharacters(frame.trim())}`));
  }
  return lines;
}

/**
 * One pino JSON line as a person reads it at a terminal:
 * `14:02:11.532 WARN  [api] message key=value ...`, an error's type, code and message below it
 * (and its stack for errors). Lines that are not pino's JSON are passed through, escaped.
 */
export function formatLogLine(line: string, style: TerminalStyle): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return `${escapeControlCharacters(line)}\n`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${escapeControlCharacters(line)}\n`;
  }
  const parts = [style.dim(clockTime(entry['time'])), levelLabel(entry['level'], style)];
  if (typeof entry['component'] === 'string') parts.push(style.cyan(`[${escapeControlCharacters(entry['component'])}]`));
  if (entry['msg'] !== undefined) parts.push(escapeControlCharacters(String(entry['msg'])));
  for (const [key, value] of Object.entries(entry)) {
    if (placedFields.has(key) || value === undefined) continue;
    parts.push(`${style.dim(`${escapeControlCharacters(key)}=`)}${fieldValue(value)}`);
  }
  const lines = [parts.join(' ')];
  const error = entry['err'];
  if (error !== null && typeof error === 'object') lines.push(...errorLines(error as LoggedError, typeof entry['level'] === 'number' ? entry['level'] : 0, style));
  return `${lines.join('\n')}\n`;
}
