/**
 * Colour for people at a terminal, never for programs: on only when the stream is a TTY, `NO_COLOR`
 * is unset or empty (no-color.org) and TERM is not `dumb`; `FORCE_COLOR` (non-empty, not `0`) turns
 * it on regardless, as Node's own tools and most CLIs read it.
 */
export interface TerminalStyle {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

export interface StyledStream {
  isTTY?: boolean;
}

export function colourWanted(stream: StyledStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env['FORCE_COLOR'];
  if (forced !== undefined && forced !== '' && forced !== '0') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function terminalStyle(stream: StyledStream, env: NodeJS.ProcessEnv = process.env): TerminalStyle {
  const enabled = colourWanted(stream, env);
  if (!enabled) return { enabled, bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain, magenta: plain };
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), magenta: sgr(35, 39) };
}

/**
 * Text from outside (pack names, trigger payloads, action output in log fields) written to a
 * terminal with its control characters shown as escapes: an ESC or OSC sequence in data must not
 * move the cursor, retitle the window or hide what came before it.
 */
export function escapeControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
