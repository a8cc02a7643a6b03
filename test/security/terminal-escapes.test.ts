/**
 * Logs shown to a person at a terminal carry data from outside: pack names and file paths from
 * pack metadata, trigger payload fields, error messages quoting action output. A control sequence
 * in that data (ESC [2J clears the screen, OSC 0 retitles the window, OSC 52 writes the clipboard,
 * a carriage return overwrites the line before it) must reach the terminal as visible text.
 */
import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../packages/core/src/terminal/pretty-log.ts';
import { terminalStyle } from '../../packages/core/src/terminal/terminal-style.ts';

const attacks = {
  'clear screen': '\u001b[2J\u001b[H',
  'window title (OSC 0)': '\u001b]0;pwned\u0007',
  'clipboard write (OSC 52)': '\u001b]52;c;cm0gLXJmIH4=\u0007',
  'carriage return over the line': 'ok\rFAKE LINE',
  'C1 control (CSI as one byte)': '\u009b2J',
  'line separator': 'a\u2028b',
};

describe('pretty logs escape control characters from data', () => {
  const style = terminalStyle({ isTTY: true }, {});
  for (const [name, payload] of Object.entries(attacks)) {
    it(`${name}: in the message, a field name, a field value and an error`, () => {
      const line = JSON.stringify({
        level: 50,
        time: 0,
        component: payload,
        msg: `pack ${payload}`,
        [`key${payload}`]: payload,
        err: { type: 'Error', message: payload, stack: `Error\n    at ${payload}` },
      });
      const out = formatLogLine(line, style);
      // What the style added is the only ESC left; every byte of the payload is shown escaped.
      const withoutStyle = out.replace(/\u001b\[\d+m/g, '');
      expect(withoutStyle).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    });
  }
});
