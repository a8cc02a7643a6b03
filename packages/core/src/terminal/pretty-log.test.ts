import { describe, expect, it } from 'vitest';
import { formatLogLine } from './pretty-log.ts';
import { colourWanted, terminalStyle } from './terminal-style.ts';

const plain = terminalStyle({ isTTY: false }, {});
const coloured = terminalStyle({ isTTY: true }, {});

describe('formatLogLine', () => {
  it('writes time, level, component, message and the other fields, leaving out pid and host', () => {
    const time = new Date(2026, 11, 5, 14, 2, 11, 532).getTime();
    const line = JSON.stringify({ level: 40, time, pid: 7, hostname: 'h', name: 'packrun', component: 'api', msg: 'slow request', route: '/api/v1/packs', ms: 812 });
    expect(formatLogLine(line, plain)).toBe('14:02:11.532 WARN  [api] slow request route=/api/v1/packs ms=812\n');
  });

  it('quotes field values with spaces and shows objects as JSON', () => {
    const out = formatLogLine(JSON.stringify({ level: 30, time: 0, msg: 'm', pack: 'a b', details: { n: 1 } }), plain);
    expect(out).toContain('pack="a b"');
    expect(out).toContain('details={"n":1}');
  });

  it("puts an error's type, code and message under the line, and its stack only for errors", () => {
    const err = { type: 'PackrunError', code: 'PACK_INVALID', message: 'pack.yaml: bad', stack: 'PackrunError: pack.yaml: bad\n    at load (x.ts:1:1)' };
    const warning = formatLogLine(JSON.stringify({ level: 40, time: 0, msg: 'skipped', err }), plain);
    expect(warning.split('\n')[1]).toBe('    PackrunError PACK_INVALID: pack.yaml: bad');
    expect(warning).not.toContain('at load');
    const error = formatLogLine(JSON.stringify({ level: 50, time: 0, msg: 'failed', err }), plain);
    expect(error).toContain('    at load (x.ts:1:1)');
  });

  it('colours the level only when the style is on', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'x' });
    expect(formatLogLine(line, plain)).not.toContain('\u001b[');
    expect(formatLogLine(line, coloured)).toContain('\u001b[31m');
  });

  it('passes through a line that is not JSON, escaped', () => {
    expect(formatLogLine('not json \u001b[2J', plain)).toBe('not json \\x1b[2J\n');
  });
});

describe('colourWanted', () => {
  it('is on for a terminal, off for a pipe, off with NO_COLOR or TERM=dumb, on with FORCE_COLOR', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
  });
});
