import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The root logger. Components take `logger.child({component: '...'})`. Logs go to stderr so that
 * a command's stdout stays machine-readable (`--json`).
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    { name: options.name ?? 'packrun', level: options.level ?? process.env['PACKRUN_LOG_LEVEL'] ?? 'warn' },
    pino.destination(2),
  );
}
