/**
 * Logs as people and collectors want them: readable lines on a terminal, pino's JSON lines through
 * a pipe, PACKRUN_LOG_FORMAT to choose, and no colour with NO_COLOR. The terminal is a real
 * pseudo-terminal from util-linux's `script`, so the CLI sees stderr.isTTY as it would in a shell.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';

const bin = path.resolve(import.meta.dirname, '../../packages/cli/bin/packrun.mjs');
let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'packrun-log-format-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Runs `packrun key list` (which logs the store opening at debug level) with stdout and stderr on a pseudo-terminal. */
async function onTerminal(env: Record<string, string>): Promise<string> {
  const command = `'${process.execPath}' '${bin}' key list`;
  const { stdout } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm-256color', PACKRUN_HOME: home, PACKRUN_LOG_LEVEL: 'debug', ...env },
  });
  return stdout;
}

const jsonLine = /^\{"level":20,.*"msg":"embedded store opened"\}$/m;

describe('log format', () => {
  it('is readable and coloured on a terminal', async () => {
    const out = await onTerminal({});
    expect(out).toContain('\u001b[');
    const visible = out.replace(/\u001b\[\d+m/g, '');
    expect(visible).toMatch(/\d\d:\d\d:\d\d\.\d{3} DEBUG \[embedded-store\] embedded store opened file=/);
    expect(out).not.toMatch(/\{"level":/);
  });

  it('has no colour on a terminal with NO_COLOR', async () => {
    const out = await onTerminal({ NO_COLOR: '1' });
    expect(out).toMatch(/DEBUG \[embedded-store\] embedded store opened file=/);
    expect(out).not.toContain('\u001b[');
  });

  it('is JSON on a terminal with PACKRUN_LOG_FORMAT=json', async () => {
    expect(await onTerminal({ PACKRUN_LOG_FORMAT: 'json' })).toMatch(jsonLine);
  });

  it('is JSON through a pipe, and readable through one with PACKRUN_LOG_FORMAT=pretty', async () => {
    const piped = await runPackrunCli(['key', 'list'], { PACKRUN_HOME: home, PACKRUN_LOG_LEVEL: 'debug' });
    expect(piped.stderr).toMatch(jsonLine);
    const pretty = await runPackrunCli(['key', 'list'], { PACKRUN_HOME: home, PACKRUN_LOG_LEVEL: 'debug', PACKRUN_LOG_FORMAT: 'pretty' });
    expect(pretty.stderr).toMatch(/DEBUG \[embedded-store\] embedded store opened/);
    expect(pretty.stderr).not.toContain('\u001b[');
  });

  it('refuses an unknown format, naming the variable', async () => {
    const result = await runPackrunCli(['key', 'list'], { PACKRUN_HOME: home, PACKRUN_LOG_FORMAT: 'xml' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('PACKRUN_LOG_FORMAT must be auto, pretty or json, got "xml"');
  });
});
