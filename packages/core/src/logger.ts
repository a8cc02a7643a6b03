import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat } from './config.ts';
import { formatLogLine } from './terminal/pretty-log.ts';
import { terminalStyle } from './terminal/terminal-style.ts';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** PACKRUN_LOG_FORMAT; `auto` (the default) is pretty when stderr is a terminal. */
  format?: LogFormat;
}

/** Writes each of pino's JSON lines to stderr as a readable line, synchronously as pino's own destination does (a fatal line is out before the process exits). */
function prettyStderr(): DestinationStream {
  const style = terminalStyle(process.stderr);
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') process.stderr.write(formatLogLine(line, style));
    },
  };
}

/**
 * The root logger. Components take `logger.child({component: '...'})`. Logs go to stderr so that
 * a command's stdout stays machine-readable (`--json`): pino's JSON lines for collectors and
 * pipes, readable lines for a person at a terminal.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  return pino(
    { name: options.name ?? 'packrun', level: options.level ?? process.env['PACKRUN_LOG_LEVEL'] ?? 'warn' },
    pretty ? prettyStderr() : pino.destination(2),
  );
}
